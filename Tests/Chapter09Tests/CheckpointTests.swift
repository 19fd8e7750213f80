import ChapterKit
import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter09

/// Chapter 9's five trained models, checkpointed: a short run extended with --resume
/// gives the results of the longer run straight.
final class Chapter09CheckpointTests: XCTestCase {
    /// Runs the chapter; returns its JSON results without the timings.
    func results(_ arguments: [String]) throws -> [Substring] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ch09-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: out) }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let json = out.appendingPathComponent("results.json").path
        try Chapter09.parse(["--figures", out.path, "--json", json, "--dates", "300,50"] + arguments).run()
        return try String(contentsOfFile: json, encoding: .utf8).split(separator: "\n").filter { !$0.contains("seconds") }
    }

    func testResumedRunGivesTheUninterruptedResults() throws {
        let epochs = { (n: Int) in ["--tagger-epochs", "\(n)", "--classifier-epochs", "\(n)", "--date-epochs", "\(n)"] }
        let straight = try results(epochs(2))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch09-checkpoints-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        _ = try results(epochs(1) + ["--checkpoint", folder.path])
        XCTAssertEqual(try results(epochs(2) + ["--checkpoint", folder.path, "--resume"]), straight)
    }

    /// The tagger's loop at Adam 10³⁰ stops with an error naming epoch and step.
    func testDivergenceStopsTheTaggerNamingEpochAndStep() throws {
        let sentences = Array(try CoNLLReader.read(SampleData.url("ner-sample.conll")).prefix(40))
        let features = TaggingFeatures(training: sentences)
        var generator = SeededGenerator(seed: 1)
        let tagger = RecurrentTagger<Float>(features: features, wordSize: 8, hiddenSize: 8, bidirectional: true, dropout: 0,
                                            name: "tagger", using: &generator)
        var settings = TaggerSettings()
        settings.epochs = 2
        settings.learningRate = 1e30
        let ids = sentences.map(features.encode)
        XCTAssertThrowsError(try trainTagger(tagger, train: ids, dev: ids, devGold: sentences.map { $0.map(\.tag) },
                                             features: features, decoding: .eachWord, settings: settings, label: "test")) { error in
            let text = "\(error)"
            XCTAssertTrue(error is TrainingError && text.contains("epoch 1") && text.contains("step"), text)
        }
    }
}
