import ChapterKit
import Foundation
import NeuralKit
import RecurrentLM
import XCTest
@testable import Chapter07

final class Chapter07DivergenceTests: XCTestCase {
    /// The memory experiment's loop at Adam 10³⁰: an error naming the lag and update.
    func testLagTaskDivergenceNamesTheUpdate() {
        let task = LagTask(lag: 5)
        var generator = SeededGenerator(seed: 1)
        let model = SequenceClassifier(vocabularySize: task.vocabularySize, embeddingSize: 8,
                                       cell: LSTMCell<Float>(inputSize: 8, hiddenSize: 8, name: "lstm", using: &generator),
                                       classes: 4, name: "lstm", using: &generator)
        XCTAssertThrowsError(try model.trainAndTest(on: task, updates: 20, learningRate: 1e30, using: &generator)) { error in
            XCTAssertTrue("\(error)".contains("lag task (k = 5)") && "\(error)".contains("update"), "\(error)")
        }
    }

    /// The language model at SGD 10⁶ without clipping: the chapter stops with an error
    /// naming epoch and step instead of printing the untrained model's test perplexity.
    func testDivergingLanguageModelStopsTheChapter() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ch07-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: out) }
        let chapter = try Chapter07.parse(["--figures", out.path, "--lags", "5", "--lag-updates", "5", "--hidden", "16",
                                           "--epochs", "2", "--learning-rate", "1e6", "--clip", "0"])
        XCTAssertThrowsError(try chapter.run()) { error in
            let text = "\(error)"
            XCTAssertTrue(error is TrainingError && text.contains("epoch 1") && text.contains("step"), text)
        }
    }

    /// --resume with a folder that holds no Chapter 7 checkpoint: an error before the
    /// memory experiment trains anything.
    func testMissingCheckpointIsAnErrorBeforeAnyTraining() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch07-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data().write(to: folder.appendingPathComponent("chapter05-rnn.safetensors"))
        let chapter = try Chapter07.parse(["--figures", folder.path, "--checkpoint", folder.path, "--resume"])
        let clock = ContinuousClock(), start = clock.now
        XCTAssertThrowsError(try chapter.run()) { error in
            XCTAssertTrue("\(error)".contains("there is no checkpoint \(folder.path)/chapter07-lm.safetensors"), "\(error)")
        }
        XCTAssertLessThan((clock.now - start).seconds, 5)  // the memory experiment did not run
    }
}
