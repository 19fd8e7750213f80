import ChapterKit
import NeuralKit
import RecurrentLM
import TextData
import XCTest

/// A training text shorter than one batch of columns is an error, not an "epoch" of no
/// windows whose untrained model is then reported as the result.
final class TooLittleTextTests: XCTestCase {
    func testATextShorterThanOneBatchIsRefused() throws {
        let splits = try LanguageModellingSplits(dataDirectory: nil)
        var generator = SeededGenerator(seed: 1)
        let cell = RNNCell<Float>(inputSize: 4, hiddenSize: 4, name: "rnn", using: &generator)
        let model = RecurrentLanguageModel(vocabularySize: splits.train.vocabulary.count, embeddingSize: 4, layers: [cell],
                                           name: "rnn", using: &generator)
        let stream = TokenStream(splits.train)
        let short = TokenStream(ids: Array(stream.ids.prefix(8)), padding: stream.padding)  // 7 predicted words
        var settings = RecurrentTrainingSettings()
        settings.batchSize = 20
        XCTAssertThrowsError(try model.train(on: short, valid: TokenStream(splits.valid), settings: settings, epochs: 1)) { error in
            XCTAssertTrue("\(error)".contains("7 predicted words, fewer than the 20"), "\(error)")
        }
        settings.batchSize = 7  // exactly one column of one word each: trains
        XCTAssertNoThrow(try model.train(on: short, valid: TokenStream(splits.valid), settings: settings, epochs: 1, quiet: true))
    }
}
