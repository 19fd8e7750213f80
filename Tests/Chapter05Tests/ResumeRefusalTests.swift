import ChapterKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest

/// The recurrent LMs' checkpoints: another nonlinearity (same names and shapes, other
/// arithmetic) or fewer epochs than the checkpoint has done are refused on --resume.
final class RecurrentResumeRefusalTests: XCTestCase {
    func testAnotherActivationOrFewerEpochsAreRefused() throws {
        let splits = try LanguageModellingSplits(dataDirectory: nil)
        let train = TokenStream(ids: Array(TokenStream(splits.train).ids.prefix(800)), padding: splits.train.endID)
        let valid = TokenStream(ids: Array(TokenStream(splits.valid).ids.prefix(300)), padding: splits.valid.endID)
        func model(_ activation: RecurrentActivation) -> RecurrentLanguageModel<RNNCell<Float>> {
            var generator = SeededGenerator(seed: 3)
            let cell = RNNCell<Float>(inputSize: 8, hiddenSize: 8, activation: activation, name: "rnn", using: &generator)
            return RecurrentLanguageModel(vocabularySize: splits.train.vocabulary.count, embeddingSize: 8, layers: [cell],
                                          name: "rnn", using: &generator)
        }
        var settings = RecurrentTrainingSettings()
        settings.batchSize = 4
        settings.bptt = 10
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rnn-refusal-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        _ = try model(.tanh).train(on: train, valid: valid, settings: settings, epochs: 2, quiet: true,
                                   checkpoint: Checkpointing(directory: folder, resume: false))
        let resume = Checkpointing(directory: folder, resume: true)
        XCTAssertThrowsError(try model(.sigmoid).train(on: train, valid: valid, settings: settings, epochs: 3, quiet: true,
                                                       checkpoint: resume)) { error in
            XCTAssertTrue("\(error)".contains("sigmoid"), "\(error)")
        }
        XCTAssertThrowsError(try model(.tanh).train(on: train, valid: valid, settings: settings, epochs: 1, quiet: true,
                                                    checkpoint: resume)) { error in
            XCTAssertTrue("\(error)".contains("has 2 epochs done, more than the 1"), "\(error)")
        }
        XCTAssertNoThrow(try model(.tanh).train(on: train, valid: valid, settings: settings, epochs: 3, quiet: true, checkpoint: resume))
    }
}
