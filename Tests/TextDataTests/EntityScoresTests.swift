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
