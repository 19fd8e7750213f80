import ChapterKit
import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter04

/// Divergence and checkpoints of the window model's training loop.
final class Chapter04CheckpointTests: XCTestCase {
    static let trainWindows = Windows(try! IndexedCorpus(sentences: Array(IndexedCorpus(SampleData.url("lm-sample.train.txt")).sentences.prefix(300))
        .map { $0.map(Chapter04Tests.sample.vocabulary.word) }, vocabulary: Chapter04Tests.sample.vocabulary))
    static let valid = Windows(try! IndexedCorpus(SampleData.url("lm-sample.valid.txt"), vocabulary: Chapter04Tests.sample.vocabulary))

    func model() -> (WindowLanguageModel<Float>, SeededGenerator) {
        var generator = SeededGenerator(seed: 5)
        let model = WindowLanguageModel<Float>(vocabularySize: Chapter04Tests.sample.vocabulary.count, embeddingSize: 8,
                                               hiddenSize: 16, using: &generator)
        return (model, generator)
    }

    /// Adam at 10⁸: the chapter's loop stops with an error naming the epoch and step
    /// (before: "valid perplexity inf" and exit status 0).
    func testDivergenceStopsTrainingNamingEpochAndStep() {
        var (m, generator) = model()
        let clock = ContinuousClock()
        XCTAssertThrowsError(try Chapter04Training.run(m, Self.trainWindows, Self.valid, epochs: 2, batchSize: 64, learningRate: 1e8,
                                                       dropout: 0.2, generator: &generator, clock: clock, start: clock.now)) { error in
            let text = "\(error)"
            XCTAssertTrue(error is TrainingError, text)
            XCTAssertTrue(text.contains("epoch 1") && text.contains("step"), text)
        }
    }

    /// 3 epochs straight, or 1 epoch, a checkpoint, and a fresh start resuming it: the
    /// same parameters bit for bit, and the generator left in the same state.
    func testResumeIsBitForBit() throws {
        let settings = TrainingSettings(epochs: 3, batchSize: 64, learningRate: 3e-3, dropout: 0.2)
        var (straight, g1) = model()
        try train(straight, on: Self.trainWindows, settings: settings, using: &g1)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch04-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = Checkpointing(directory: folder, resume: false, name: "window-lm")
        var (first, g2) = model()
        var short = settings
        short.epochs = 1
        try train(first, on: Self.trainWindows, settings: short, using: &g2, checkpoint: checkpoint)
        var (resumed, g3) = model()
        var epochsSeen: [Int] = []
        try train(resumed, on: Self.trainWindows, settings: settings, using: &g3, checkpoint: Checkpointing(directory: folder, resume: true, name: "window-lm")) { epoch, _ in
            epochsSeen.append(epoch)
        }
        XCTAssertEqual(epochsSeen, [2, 3])
        for (a, b) in zip(straight.parameters, resumed.parameters) {
            XCTAssertTrue(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(a.name) differs")
        }
        XCTAssertEqual(g1.state, g3.state)
        _ = first
    }

    /// Ctrl-C (the flag raised programmatically): stops after one step, saves the state
    /// after it and says how to resume; resuming gives the uninterrupted run bit for bit
    /// (the epoch's shuffle is replayed from the generator as the epoch began).
    func testInterruptSavesAndSaysHowToResume() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch04-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = Checkpointing(directory: folder, resume: false, name: "window-lm")
        var (m, generator) = model()
        Interruption.request()
        XCTAssertThrowsError(try train(m, on: Self.trainWindows, settings: TrainingSettings(epochs: 2, batchSize: 64), using: &generator,
                                       checkpoint: checkpoint)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("in epoch 1 after step 1. The state after step 1 of epoch 1 is saved in"), text)
            XCTAssertTrue(text.contains("--resume"), text)
        }
        XCTAssertEqual(try SafeTensors(contentsOf: checkpoint.url).metadata["epochs_done"], "0")
        var (resumed, g2) = model()
        try train(resumed, on: Self.trainWindows, settings: TrainingSettings(epochs: 2, batchSize: 64), using: &g2,
                  checkpoint: Checkpointing(directory: folder, resume: true, name: "window-lm"))
        var (straight, g3) = model()
        try train(straight, on: Self.trainWindows, settings: TrainingSettings(epochs: 2, batchSize: 64), using: &g3)
        for (a, b) in zip(straight.parameters, resumed.parameters) {
            XCTAssertTrue(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(a.name) differs")
        }
        XCTAssertEqual(g2.state, g3.state)
        _ = m
    }
}
