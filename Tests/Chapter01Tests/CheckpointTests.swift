import ChapterKit
import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter01

/// Divergence and checkpoints of Chapter 1's training loop.
final class Chapter01CheckpointTests: XCTestCase {
    static let sample = Array(try! CoNLLReader.read(SampleData.url("ner-sample.conll")).prefix(60))

    func setUpModel() -> (WindowClassifier<Float>, WindowBatch, [Int], SeededGenerator) {
        let sentences = Self.sample.map { $0.map(\.word) }
        let features = WindowFeatures(training: sentences)
        var generator = SeededGenerator(seed: 2)
        let model = WindowClassifier<Float>(
            .init(words: features.words.count, prefixes: features.prefixes.count, suffixes: features.suffixes.count, hidden: 16,
                  classes: NERTags.conll2003.all.count), using: &generator)
        return (model, features.windows(sentences), Self.sample.flatMap { NERTags.conll2003.ids($0.map(\.tag)) }, generator)
    }

    /// Adam at 10³⁰: an error naming the epoch and step, not a model of NaN.
    func testDivergenceStopsTrainingNamingEpochAndStep() {
        var (model, windows, labels, generator) = setUpModel()
        XCTAssertThrowsError(try train(model, windows: windows, labels: labels,
                                       settings: TrainingSettings(epochs: 2, batchSize: 16, learningRate: 1e30), using: &generator)) { error in
            let text = "\(error)"
            XCTAssertTrue(error is TrainingError && text.contains("epoch 1") && text.contains("step"), text)
        }
    }

    /// 3 epochs straight, or 1, a checkpoint and a fresh start resuming: the same
    /// parameters, losses and generator state, bit for bit (dropout and word dropout on).
    func testResumeIsBitForBit() throws {
        let settings = TrainingSettings(epochs: 3, batchSize: 16, dropout: 0.3, wordDropout: 0.1, unknownWordID: 0)
        var (straight, windows, labels, g1) = setUpModel()
        let straightLosses = try train(straight, windows: windows, labels: labels, settings: settings, using: &g1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch01-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        var (first, _, _, g2) = setUpModel()
        var short = settings
        short.epochs = 1
        try train(first, windows: windows, labels: labels, settings: short, using: &g2,
                  checkpoint: Checkpointing(directory: folder, resume: false, name: "binary"))
        var (resumed, _, _, g3) = setUpModel()
        let resumedLosses = try train(resumed, windows: windows, labels: labels, settings: settings, using: &g3,
                                      checkpoint: Checkpointing(directory: folder, resume: true, name: "binary"))
        XCTAssertEqual(straightLosses, resumedLosses)
        for (a, b) in zip(straight.parameters, resumed.parameters) {
            XCTAssertTrue(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(a.name) differs")
        }
        XCTAssertEqual(g1.state, g3.state)
        _ = (first, g2)
    }
}
