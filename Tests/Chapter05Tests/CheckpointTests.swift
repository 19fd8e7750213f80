import ChapterKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest

/// Divergence and checkpoints of the recurrent language models' training loop
/// (RecurrentLM's `train`, which Chapters 5, 7 and 8 use).
final class RecurrentTrainingCheckpointTests: XCTestCase {
    static let splits = try! LanguageModellingSplits(dataDirectory: nil)
    static let train = TokenStream(ids: Array(TokenStream(splits.train).ids.prefix(2000)), padding: splits.train.endID)
    static let valid = TokenStream(ids: Array(TokenStream(splits.valid).ids.prefix(600)), padding: splits.valid.endID)

    func model(hidden: Int = 12, lstm: Bool = false) -> RecurrentLanguageModel<LSTMCell<Float>> {
        var generator = SeededGenerator(seed: 4)
        let v = Self.splits.train.vocabulary.count
        let cells = (1...2).map { LSTMCell<Float>(inputSize: hidden, hiddenSize: hidden, name: "lstm\($0)", using: &generator) }
        return RecurrentLanguageModel(vocabularySize: v, embeddingSize: hidden, layers: cells, name: "lm", using: &generator)
    }

    func settings(_ method: RecurrentTrainingSettings.Method) -> RecurrentTrainingSettings {
        var settings = RecurrentTrainingSettings()
        settings.batchSize = 5
        settings.bptt = 10
        settings.method = method
        settings.learningRate = method == .adam ? 0.01 : 5
        settings.dropout = 0.2  // masks drawn per epoch: resuming must draw the same ones
        settings.seed = 9
        return settings
    }

    func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// The history without its timings (which differ from run to run).
    func timeless(_ history: TrainingHistory) -> [EpochRecord] {
        history.epochs.map { var r = $0; r.wordsPerSecond = 0; return r }
    }

    // MARK: - Divergence

    /// SGD at 10⁶ without clipping: training stops with an error naming epoch and step,
    /// and the chapter never gets to report a perplexity.
    func testDivergenceStopsTrainingNamingEpochAndStep() {
        let m = model()
        var s = settings(.sgd)
        s.learningRate = 1e6
        s.clip = 0
        XCTAssertThrowsError(try m.train(on: Self.train, valid: Self.valid, settings: s, epochs: 3, quiet: true)) { error in
            guard let error = error as? TrainingError else { return XCTFail("\(error)") }
            let text = "\(error)"
            XCTAssertTrue(text.contains("epoch 1") && text.contains("step"), text)
            switch error {
            case .nonFiniteLoss, .nonFiniteGradient, .nonFiniteParameter, .nonFiniteValidation: break
            default: XCTFail(text)
            }
        }
    }

    // MARK: - Resume, bit for bit

    func checkResumeIsBitForBit(_ method: RecurrentTrainingSettings.Method, schedule: LearningRateSchedule) throws {
        let s = settings(method)
        let straight = model()
        let straightHistory = try straight.train(on: Self.train, valid: Self.valid, settings: s, epochs: 4, schedule: schedule, quiet: true)

        let dir = try folder()
        let checkpoint = Checkpointing(directory: dir, resume: false, name: "lm")
        let first = model()
        _ = try first.train(on: Self.train, valid: Self.valid, settings: s, epochs: 2, schedule: schedule, quiet: true, checkpoint: checkpoint)
        let resumed = model()  // a fresh process: the initial weights again, then the checkpoint over them
        var again = checkpoint
        again.resume = true
        let resumedHistory = try resumed.train(on: Self.train, valid: Self.valid, settings: s, epochs: 4, schedule: schedule, quiet: true,
                                               checkpoint: again)
        for (a, b) in zip(straight.parameters, resumed.parameters) {
            XCTAssertEqual(a.name, b.name)
            XCTAssertTrue(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(method): \(a.name) differs")
        }
        XCTAssertEqual(timeless(straightHistory), timeless(resumedHistory))
        XCTAssertEqual(straightHistory.trainCurve.map(\.x), resumedHistory.trainCurve.map(\.x))
        XCTAssertEqual(straightHistory.trainCurve.map(\.y), resumedHistory.trainCurve.map(\.y))
        XCTAssertEqual(straightHistory.words, resumedHistory.words)
        XCTAssertEqual(straightHistory.epochs.count, 4)
        // The last checkpoint is a plain safetensors file with the names the chapter prints.
        let file = try SafeTensors(contentsOf: checkpoint.url)
        XCTAssertEqual(file.metadata["epochs_done"], "4")
        for p in straight.parameters {
            XCTAssertNotNil(file.entries[p.name])
            XCTAssertNotNil(file.entries["best." + p.name])
            if method == .adam { XCTAssertNotNil(file.entries["optimizer.adam.m." + p.name]) }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["lm.safetensors"])  // no temporary files
    }

    func testResumeIsBitForBitWithAdam() throws {
        try checkResumeIsBitForBit(.adam, schedule: .onPlateau(factor: 4))
    }

    func testResumeIsBitForBitWithSGDAndDecay() throws {
        try checkResumeIsBitForBit(.sgd, schedule: .after(epochs: 1, factor: 0.5))
    }

    // MARK: - Interrupts

    /// Ctrl-C (the flag raised as the signal handler raises it): training stops after the
    /// step it is in, saves the state after it (half-way through the epoch: the hidden
    /// state, the dropout masks' generator, the sums) and says how to resume; resuming
    /// gives the uninterrupted run's parameters and history bit for bit.
    func testInterruptStopsAfterTheStepAndResumeFinishesTheRun() throws {
        let s = settings(.adam)
        let straight = model()
        let straightHistory = try straight.train(on: Self.train, valid: Self.valid, settings: s, epochs: 2, quiet: true)

        let dir = try folder()
        let checkpoint = Checkpointing(directory: dir, resume: false, name: "lm")
        Interruption.request()
        XCTAssertThrowsError(try model().train(on: Self.train, valid: Self.valid, settings: s, epochs: 2, quiet: true,
                                               checkpoint: checkpoint)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("in epoch 1 after step 1."), text)
            XCTAssertTrue(text.contains("The state after step 1 of epoch 1 is saved in \(checkpoint.url.path)"), text)
            XCTAssertTrue(text.contains("--resume"), text)
        }
        XCTAssertFalse(Interruption.requested)  // the handler is gone with the training run
        let resumed = model()
        var again = checkpoint
        again.resume = true
        let resumedHistory = try resumed.train(on: Self.train, valid: Self.valid, settings: s, epochs: 2, quiet: true, checkpoint: again)
        for (a, b) in zip(straight.parameters, resumed.parameters) {
            XCTAssertTrue(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(a.name) differs")
        }
        XCTAssertEqual(timeless(straightHistory), timeless(resumedHistory))
        XCTAssertEqual(straightHistory.trainCurve.map(\.y), resumedHistory.trainCurve.map(\.y))
        XCTAssertEqual(straightHistory.words, resumedHistory.words)
    }

    func testInterruptWithoutCheckpointSaysNothingWasSaved() {
        Interruption.request()
        XCTAssertThrowsError(try model().train(on: Self.train, valid: Self.valid, settings: settings(.sgd), epochs: 1, quiet: true)) {
            XCTAssertTrue("\($0)".contains("Nothing was saved"), "\($0)")
        }
    }

    // MARK: - Refused checkpoints

    func testResumeFromAnotherModelOrMissingFileIsRefusedBeforeTraining() throws {
        let dir = try folder()
        let checkpoint = Checkpointing(directory: dir, resume: false, name: "lm")
        _ = try model().train(on: Self.train, valid: Self.valid, settings: settings(.adam), epochs: 1, quiet: true, checkpoint: checkpoint)
        var again = checkpoint
        again.resume = true
        // Other sizes.
        let other = model(hidden: 8)
        let before = other.parameters.map(\.value.scalars)
        XCTAssertThrowsError(try other.train(on: Self.train, valid: Self.valid, settings: settings(.adam), epochs: 2, quiet: true,
                                             checkpoint: again)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("saved by a run with other options") && text.contains("parameters: checkpoint"), text)
        }
        XCTAssertEqual(other.parameters.map(\.value.scalars), before)  // nothing trained, nothing loaded
        // Other options.
        var s = settings(.adam)
        s.learningRate = 0.02
        XCTAssertThrowsError(try model().train(on: Self.train, valid: Self.valid, settings: s, epochs: 2, quiet: true, checkpoint: again)) {
            XCTAssertTrue("\($0)".contains("learning_rate: checkpoint 0.01, this run 0.02"), "\($0)")
        }
        // No file.
        XCTAssertThrowsError(try model().train(on: Self.train, valid: Self.valid, settings: settings(.adam), epochs: 2, quiet: true,
                                               checkpoint: again.named("other"))) {
            XCTAssertTrue("\($0)".contains("there is no checkpoint"), "\($0)")
        }
        // A fresh run (no --resume) does not overwrite a checkpoint.
        XCTAssertThrowsError(try model().train(on: Self.train, valid: Self.valid, settings: settings(.adam), epochs: 2, quiet: true,
                                               checkpoint: checkpoint)) {
            XCTAssertTrue("\($0)".contains("there is already a checkpoint here: continue it with --resume"), "\($0)")
        }
        // A damaged file.
        try Data("not a checkpoint".utf8).write(to: again.url)
        XCTAssertThrowsError(try model().train(on: Self.train, valid: Self.valid, settings: settings(.adam), epochs: 2, quiet: true,
                                               checkpoint: again)) {
            XCTAssertTrue("\($0)".contains("is not a valid safetensors file"), "\($0)")
        }
    }
}
