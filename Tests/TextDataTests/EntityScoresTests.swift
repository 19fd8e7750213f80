import XCTest
@testable import TextData

/// conlleval's figures, worked out by hand for small tag sequences.
final class EntityScoresTests: XCTestCase {
    func testHandWorkedIOB2Example() {
        // gold chunks: PER(0–1), LOC(3) | ORG(1–2)          → 3
        // predicted:   PER(0–1), ORG(3) | ORG(1)            → 3
        // correct: PER only → 1;  P = R = F1 = 100/3
        let gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "O"]]
        let predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-ORG", "O", "O"]]
        let s = EntityScores(gold: gold, predicted: predicted)
        XCTAssertEqual(s.overall, EntityScores.Counts(correct: 1, predicted: 3, gold: 3))
        XCTAssertEqual(s.overall.precision, 100.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.overall.recall, 100.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.overall.f1, 100.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.byType["PER"], EntityScores.Counts(correct: 1, predicted: 1, gold: 1))
        XCTAssertEqual(s.byType["LOC"], EntityScores.Counts(correct: 0, predicted: 0, gold: 1))
        XCTAssertEqual(s.byType["ORG"], EntityScores.Counts(correct: 0, predicted: 2, gold: 1))
        XCTAssertEqual(s.byType["LOC"]!.f1, 0)
        XCTAssertEqual(s.types, ["LOC", "ORG", "PER"])
        // tags right: 3 of 4, then 3 of 4
        XCTAssertEqual(s.accuracy, 75, accuracy: 1e-12)
    }

    /// The most-frequent-tag baseline by hand: "Paris" is B-LOC twice and B-PER once
    /// (→ B-LOC), "Hilton" B-PER then B-ORG once each (a tie: the first seen, B-PER),
    /// "Kim" unseen (→ O). On "Paris Hilton met Kim" (gold B-PER I-PER O B-PER) the guess
    /// B-LOC B-PER O O finds 2 entities, none right, of 2 gold; on "in Paris" (gold B-LOC)
    /// it finds the one entity: 1 right of 3 found, 3 gold.
    func testMostFrequentTagBaselineByHand() {
        func sentence(_ text: String) -> TaggedSentence {
            text.split(separator: " ").map { pair in
                let parts = pair.split(separator: "/")
                return TaggedToken(word: String(parts[0]), tag: String(parts[1]))
            }
        }
        let train = ["Paris/B-LOC is/O big/O", "in/O Paris/B-LOC", "Paris/B-PER Hilton/B-PER", "the/O Hilton/B-ORG"].map(sentence)
        let test = [sentence("Paris/B-PER Hilton/I-PER met/O Kim/B-PER"), sentence("in/O Paris/B-LOC")]
        let scores = mostFrequentTagBaseline(train: train, on: test)
        XCTAssertEqual(scores.overall, EntityScores.Counts(correct: 1, predicted: 3, gold: 3))
        XCTAssertEqual(scores.byType["LOC"], EntityScores.Counts(correct: 1, predicted: 2, gold: 1))
        XCTAssertEqual(scores.byType["PER"], EntityScores.Counts(correct: 0, predicted: 1, gold: 2))
    }

    func testIOB1AdjacentEntitiesAndBoundaries() {
        // IOB1 gold: "I-LOC I-LOC B-LOC" is two LOC entities (0–1) and (2).
        // The prediction runs them together into one (0–2): no chunk is correct.
        let s = EntityScores(gold: [["I-LOC", "I-LOC", "B-LOC", "O"]], predicted: [["I-LOC", "I-LOC", "I-LOC", "O"]])
        XCTAssertEqual(s.overall, EntityScores.Counts(correct: 0, predicted: 1, gold: 2))
        // A sentence break ends a chunk: I-PER at the end of one sentence and the start of
        // the next are two entities.
        let t = EntityScores(gold: [["O", "I-PER"], ["I-PER", "O"]], predicted: [["O", "I-PER"], ["I-PER", "O"]])
        XCTAssertEqual(t.overall, EntityScores.Counts(correct: 2, predicted: 2, gold: 2))
    }

    func testTypeChangeInsideARunStartsANewChunk() {
        // "B-PER I-ORG": conlleval ends PER and starts ORG at the type change.
        let s = EntityScores(gold: [["B-PER", "I-ORG"]], predicted: [["B-PER", "I-PER"]])
        XCTAssertEqual(s.overall, EntityScores.Counts(correct: 0, predicted: 1, gold: 2))
        XCTAssertEqual(s.overall.precision, 0)
        XCTAssertEqual(s.overall.f1, 0)
    }
}

final class EntitySpanTests: XCTestCase {
    /// IOB1 (CoNLL-2003's own encoding): B- only where an entity follows one of its type.
    func testIOB1() {
        let tags = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG", "O"]
        XCTAssertEqual(EntitySpan.spans(tags), [
            EntitySpan(type: "PER", range: 0..<2), EntitySpan(type: "PER", range: 2..<3),
            EntitySpan(type: "LOC", range: 4..<5), EntitySpan(type: "ORG", range: 5..<7),
        ])
    }

    /// IOB2: B- at every entity's first word; the same entities as the IOB1 sentence above.
    func testIOB2() {
        let tags = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "I-ORG", "O"]
        XCTAssertEqual(EntitySpan.spans(tags), [
            EntitySpan(type: "PER", range: 0..<2), EntitySpan(type: "PER", range: 2..<3),
            EntitySpan(type: "LOC", range: 4..<5), EntitySpan(type: "ORG", range: 5..<7),
        ])
    }

    /// An entity at the sentence's end is closed by it; an I- of another type after an
    /// entity starts a new one; no tags, no entities.
    func testEdges() {
        XCTAssertEqual(EntitySpan.spans(["O", "B-MISC", "I-MISC"]), [EntitySpan(type: "MISC", range: 1..<3)])
        XCTAssertEqual(EntitySpan.spans(["B-LOC", "I-PER"]), [EntitySpan(type: "LOC", range: 0..<1), EntitySpan(type: "PER", range: 1..<2)])
        XCTAssertEqual(EntitySpan.spans([]), [])
        XCTAssertEqual(EntitySpan.spans(["O", "O"]), [])
    }

    /// The spans agree with the scorer: scoring a tagging against itself finds as many
    /// entities as the spans list, for the real IOB1 and IOB2 dev files when present.
    func testSpansCountWhatTheScorerCounts() throws {
        guard let data = DataDirectory.sharedIfPresent() else {
            throw XCTSkip("../shared/data is absent (a fresh clone): the real CoNLL files are needed here")
        }
        let iob1 = try CoNLLReader.read(data.conllDev)
        let iob2 = try CoNLLReader.read(data.file("conll2003/iob2/valid.txt"))
        let tags1 = iob1.map { $0.map(\.tag) }, tags2 = iob2.map { $0.map(\.tag) }
        let spans1 = tags1.flatMap(EntitySpan.spans), spans2 = tags2.flatMap(EntitySpan.spans)
        XCTAssertEqual(spans1.count, EntityScores(gold: tags1, predicted: tags1).overall.gold)
        XCTAssertEqual(spans1.count, spans2.count, "IOB1 and IOB2 encode the same entities")
        XCTAssertEqual(spans1.count, 5942)  // the CoNLL-2003 dev set's entity count, as conlleval reports it
    }
}
