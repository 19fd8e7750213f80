import NGram
import TextData
import XCTest

/// The slides' two sparsity problems, counted by hand on three sentences: an n-gram never
/// seen gets probability 0 (problem 1), and a context never seen gives 0/0, no
/// distribution at all (problem 2); one zero makes the perplexity of a text infinite.
final class SparsityTests: XCTestCase {
    func testAnUnseenNGramGetsZeroAndAnUnseenContextNoDistribution() throws {
        // count(students opened their) = 2, count(students opened their books) = 1,
        // count(students opened their exams) = 1, and "their minds" never follows it.
        let sentences = [["students", "opened", "their", "books"], ["students", "opened", "their", "exams"], ["proctor", "started", "the", "clock"]]
        let vocabulary = Vocabulary(counting: sentences.joined() + ["minds"], specials: [SentenceMarks.start, SentenceMarks.end])
        let corpus = IndexedCorpus(sentences: sentences, vocabulary: vocabulary)
        let model = MaximumLikelihoodModel(NGramCounts(corpus, order: 4), order: 4)
        let context = ["students", "opened", "their"].map(vocabulary.id)[...]
        XCTAssertEqual(model.contextCount(context), 2)
        XCTAssertEqual(model.probability(of: vocabulary.id("books"), after: context), 0.5)
        XCTAssertEqual(model.probability(of: vocabulary.id("minds"), after: context), 0)  // problem 1
        let unseen = ["students", "opened", "the"].map(vocabulary.id)[...]
        XCTAssertEqual(model.contextCount(unseen), 0)
        XCTAssertNil(model.probability(of: vocabulary.id("clock"), after: unseen))  // problem 2: 0/0
        // One test sentence with the unseen 4-gram: infinite perplexity, its token counted.
        let test = IndexedCorpus(sentences: [["students", "opened", "their", "minds"]], vocabulary: vocabulary)
        let result = perplexity(of: model, on: test.sentences)
        XCTAssertEqual(result.perplexity, .infinity)
        XCTAssertEqual(result.zeroProbabilityTokens, 1)
    }
}
