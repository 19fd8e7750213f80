import TrainingKit
import Foundation
import NeuralKit
import TextData

/// One epoch's figures.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    public var trainPerplexity: Double
    public var validPerplexity: Double
    /// Test perplexity after the epoch, when a test stream was given (for reporting
    /// what a shorter run would have reached; never used for any decision).
    public var testPerplexity: Double?
    public var learningRate: Float
    public var wordsPerSecond: Double
}

/// What a training run measured.
public struct TrainingHistory: Sendable {
    public var epochs: [EpochRecord] = []
    /// (epoch as a fraction, perplexity of the training loss over the last stretch).
    public var trainCurve: [(x: Double, y: Double)] = []
    public var trainSeconds = 0.0
    public var words = 0
    public var wordsPerSecond: Double { Double(words) / max(trainSeconds, 1e-9) }
    public var medianWordsPerSecond: Double {
        let sorted = epochs.map(\.wordsPerSecond).sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

/// How the learning rate falls during a run.
public enum LearningRateSchedule: Sendable {
    /// Divide it by `factor` whenever the validation perplexity did not improve (the
    /// rule of PyTorch's word-language-model example).
    case onPlateau(factor: Float)
    /// Keep it for `epochs` epochs, then multiply it by `factor` after every epoch
    /// (Zaremba et al. 2014).
    case after(epochs: Int, factor: Float)
}

extension RecurrentLanguageModel where Scalar == Float {
    /// Trains for `epochs` epochs; after each, measures validation perplexity and applies
    /// `schedule`; at the end puts back the parameters of the best epoch.
    ///
    /// A loss, gradient norm, parameter or validation perplexity that is not finite stops
    /// training with a ``TrainingError`` naming the epoch and step. With `checkpoint`, the
    /// whole state (parameters, the best epoch's parameters, the optimizer, the learning
    /// rate, the history) is saved after every epoch (``saveCheckpoint``), and with
    /// `checkpoint.resume` training continues after the last saved epoch, with the same
    /// result, bit for bit, as a run that was never stopped. `metadata` goes into the
    /// checkpoint as it is (a chapter's vocabulary, say, for readers outside the package).
    /// Ctrl-C stops training after the current step (``Interruption``).
    public func train(
        on stream: TokenStream, valid: TokenStream, test: TokenStream? = nil, settings: RecurrentTrainingSettings,
        epochs: Int, schedule: LearningRateSchedule = .onPlateau(factor: 4), quiet: Bool = false,
        checkpoint: Checkpointing? = nil, metadata: [String: String] = [:]
    ) throws -> TrainingHistory {
        // The stream is cut into batchSize columns; with fewer words than columns there is
        // not one window to train on.
        guard stream.predictedCount >= settings.batchSize else {
            throw TrainingError.tooLittleText(words: stream.predictedCount, needed: settings.batchSize, options: "--batch-size")
        }
        let model = self
        var run = TrainingRun(model: model, settings: settings)
        let identity = trainingIdentity(stream: stream, valid: valid, settings: settings, schedule: schedule)
        if let checkpoint {
            if checkpoint.resume && !(checkpoint.startsAfreshIfMissing && !FileManager.default.fileExists(atPath: checkpoint.url.path)) {
                try run.restore(from: checkpoint, identity: identity)
                if !quiet {
                    let point = run.inProgress.map { "step \($0.progress.windowsDone) of epoch \(run.completed + 1)" } ?? "epoch \(run.completed)"
                    say("Resumed from \(checkpoint.url.path) after \(point).")
                }
            } else {
                try checkpoint.checkNothingToOverwrite()
                try checkpoint.prepareFolder()
                // Epoch 0: an interrupt during the first epoch can resume from the start.
                try run.save(to: checkpoint, identity: identity, metadata: metadata)
            }
        }
        if let checkpoint, run.completed > epochs {
            throw CheckpointError.tooManyEpochs(path: checkpoint.url.path, done: run.completed, asked: epochs)
        }
        Interruption.begin()
        defer { Interruption.end() }
        let windowsPerEpoch = max(1, stream.predictedCount / (settings.batchSize * settings.bptt))
        let stretch = max(1, windowsPerEpoch / 10)
        for epoch in (run.completed + 1)..<(max(epochs, run.completed) + 1) {
            // An epoch interrupted half-way goes on from its saved step.
            let resuming = run.inProgress
            run.inProgress = nil
            var recent = resuming?.recent ?? 0, recentCount = resuming?.recentCount ?? 0
            let learningRate = run.optimizer.learningRate
            let report: EpochReport
            do {
                report = try model.trainEpoch(on: stream, settings: settings, optimizer: &run.optimizer, epoch: epoch,
                                              label: "epoch \(epoch)/\(epochs)", resuming: resuming?.progress) { window, loss in
                    recent += loss
                    recentCount += 1
                    if window % stretch == 0 {
                        run.history.trainCurve.append((Double(epoch - 1) + Double(window) / Double(windowsPerEpoch), ExactMath.exp(recent / Double(recentCount))))
                        recent = 0
                        recentCount = 0
                    }
                }
            } catch let stop as EpochInterrupted {
                // Ctrl-C: the state after this step is saved, and a resumed run goes on from the next.
                run.inProgress = (stop.progress, recent, recentCount)
                if let checkpoint { try run.save(to: checkpoint, identity: identity, metadata: metadata) }
                throw TrainingError.interrupted(epoch: epoch, step: stop.progress.windowsDone, checkpoint: checkpoint,
                                                savedEpoch: run.completed, midEpoch: true)
            }
            try TrainingError.checkFinite(model.parameters, epoch: epoch, step: report.windows)
            run.history.trainSeconds += report.seconds
            run.history.words += report.words
            let validPerplexity = model.perplexity(of: valid)
            try TrainingError.checkFinite(validation: validPerplexity, "validation perplexity", epoch: epoch, step: report.windows)
            run.history.epochs.append(EpochRecord(epoch: epoch, trainPerplexity: ExactMath.exp(report.meanLoss), validPerplexity: validPerplexity,
                                                  testPerplexity: test.map { model.perplexity(of: $0) },
                                                  learningRate: learningRate, wordsPerSecond: report.wordsPerSecond))
            if !quiet {
                say(String(format: "epoch %d  lr %g  train J = %.3f (exp J = %.1f)  valid perplexity %.1f  %.1f s  %.0f words/s  "
                           + "clipped %d of %d windows (largest norm %.2f)",
                           epoch, Double(learningRate), report.meanLoss, ExactMath.exp(report.meanLoss), validPerplexity, report.seconds,
                           report.wordsPerSecond, report.clippedWindows, report.windows, report.largestNorm))
            }
            let improved = validPerplexity < run.best
            if improved {
                run.best = validPerplexity
                run.bestEpoch = epoch
                run.bestValues = model.parameters.map(\.value)
            }
            switch schedule {
            case .onPlateau(let factor): if !improved { run.optimizer.learningRate /= factor }
            case .after(let keep, let factor): if epoch >= keep { run.optimizer.learningRate *= factor }
            }
            run.completed = epoch
            if let checkpoint { try run.save(to: checkpoint, identity: identity, metadata: metadata) }
            if Interruption.requested {
                throw TrainingError.interrupted(epoch: epoch, step: report.windows, checkpoint: checkpoint, savedEpoch: epoch)
            }
        }
        for (parameter, value) in zip(model.parameters, run.bestValues) { parameter.value = value }
        return run.history
    }

    /// What a checkpoint must match to be resumed by this run: the parameters' names and
    /// shapes, the training settings, the schedule, the kernels and the training text
    /// (its length and a hash of its ids). The number of epochs is not part of it: a run
    /// may be resumed to train for longer.
    func trainingIdentity(stream: TokenStream, valid: TokenStream, settings: RecurrentTrainingSettings,
                          schedule: LearningRateSchedule) -> [String: String] {
        [
            "parameters": parameters.map { "\($0.name) \($0.shape)" }.joined(separator: ", "),
            "optimizer": settings.method.rawValue, "learning_rate": "\(settings.learningRate)",
            "batch_size": "\(settings.batchSize)", "bptt": "\(settings.bptt)", "clip": "\(settings.clip)",
            "dropout": "\(settings.dropout)", "seed": "\(settings.seed)", "schedule": "\(schedule)",
            "kernels": "\(Kernels.choice)",
            // Same names and shapes, other arithmetic: Chapter 5's --activation.
            "cells": layers.map { cell in "\(type(of: cell))" + ((cell as? RNNCell<Float>).map { " \($0.activation.rawValue)" } ?? "") }
                .joined(separator: ", "),
            // A different corpus (or --train-percent) is a different run.
            "train_text": fingerprint(stream.ids), "valid_text": fingerprint(valid.ids),
        ]
    }
}

/// Everything a training run carries from epoch to epoch, and so everything a
/// checkpoint holds: the model's parameters, the optimizer's state (the learning rate;
/// Adam's moments and step count), the best epoch and its parameters, the history. The
/// dropout masks need no saved state: epoch e draws them from seed + e.
struct TrainingRun<Cell: RecurrentCell> where Cell.Scalar == Float {
    let model: RecurrentLanguageModel<Cell>
    var optimizer: RecurrentOptimizer<Float>
    var history = TrainingHistory()
    var completed = 0
    var best = Double.infinity
    var bestEpoch = 0
    var bestValues: [Tensor<Float>]
    /// The epoch after `completed`, when it was interrupted half-way: where it stood, and
    /// the training curve's running sum and count.
    var inProgress: (progress: EpochProgress, recent: Double, recentCount: Int)?

    init(model: RecurrentLanguageModel<Cell>, settings: RecurrentTrainingSettings) {
        self.model = model
        optimizer = RecurrentOptimizer(settings.method, learningRate: settings.learningRate)
        bestValues = model.parameters.map(\.value)
    }

    static var format: String { "neural-nlp-course recurrent language model checkpoint, version 1" }

    /// The checkpoint (``TrainingCheckpoint``): each parameter under its own name, the
    /// best epoch's values as `best.<name>`, Adam's moments as `optimizer.adam.m.<name>`
    /// and `optimizer.adam.v.<name>`; the rest in the metadata. Written atomically.
    func save(to checkpoint: Checkpointing, identity: [String: String], metadata extra: [String: String]) throws {
        var file = TrainingCheckpoint(format: Self.format, epochsDone: completed, identity: identity, metadata: extra)
        let parameters = model.parameters
        file.set(parameters)
        file.set(parameters, values: bestValues, prefix: "best.")
        if case .adam(let adam) = optimizer { file.set(adam, for: parameters) }
        file.file.metadata["learning_rate"] = "\(optimizer.learningRate)"
        file.file.metadata["best_valid_perplexity"] = "\(best)"
        file.file.metadata["best_epoch"] = "\(bestEpoch)"
        file.file.metadata["history"] = try CheckpointJSON.encode(SavedHistory(history))
        if let (progress, recent, recentCount) = inProgress {
            for (l, layer) in progress.state.enumerated() {
                for (k, tensor) in layer.enumerated() { file.file.set("epoch.state.\(l).\(k)", tensor) }
            }
            file.set("masks", progress.masks)
            let saved = SavedProgress(windowsDone: progress.windowsDone, totalLoss: progress.totalLoss, words: progress.report.words,
                                      windows: progress.report.windows, clippedWindows: progress.report.clippedWindows,
                                      largestNorm: progress.report.largestNorm, seconds: progress.report.seconds,
                                      recent: recent, recentCount: recentCount)
            file.file.metadata["epoch_in_progress"] = try CheckpointJSON.encode(saved)
        }
        try file.save(to: checkpoint)
    }

    /// Puts back the state `save` wrote, after checking the checkpoint is this run's.
    mutating func restore(from checkpoint: Checkpointing, identity: [String: String]) throws {
        let file = try TrainingCheckpoint.load(checkpoint, format: Self.format, identity: identity)
        let parameters = model.parameters
        let values = try file.values(for: parameters)
        bestValues = try file.values(for: parameters, prefix: "best.")
        if case .adam(var adam) = optimizer {
            try file.restore(&adam, for: parameters)
            optimizer = .adam(adam)
        }
        optimizer.learningRate = try file.number("learning_rate")
        completed = file.epochsDone
        best = try file.number("best_valid_perplexity")
        bestEpoch = try file.number("best_epoch")
        guard let saved = CheckpointJSON.decode(SavedHistory.self, from: try file.text("history")) else {
            throw CheckpointError.unusable(path: checkpoint.url.path, reason: "metadata history is malformed")
        }
        history = saved.history
        if let text = file.file.metadata["epoch_in_progress"] {
            guard let saved = CheckpointJSON.decode(SavedProgress.self, from: text),
                  saved.windowsDone >= 0, saved.words >= 0, saved.windows >= 0, saved.recentCount >= 0,
                  saved.totalLoss.isFinite, saved.recent.isFinite
            else {
                throw CheckpointError.unusable(path: checkpoint.url.path, reason: "metadata epoch_in_progress is malformed")
            }
            let batchSize = Int(identity["batch_size"] ?? "") ?? 1
            let state = try model.zeroState(batchSize: batchSize).enumerated().map { l, layer in
                try layer.enumerated().map { k, zero in try file.values(named: "epoch.state.\(l).\(k)", shape: zero.shape) }
            }
            var report = EpochReport()
            (report.words, report.windows, report.clippedWindows) = (saved.words, saved.windows, saved.clippedWindows)
            (report.largestNorm, report.seconds) = (saved.largestNorm, saved.seconds)
            inProgress = (EpochProgress(windowsDone: saved.windowsDone, state: state, masks: try file.generator("masks"),
                                        totalLoss: saved.totalLoss, report: report), saved.recent, saved.recentCount)
        }
        for (parameter, value) in zip(parameters, values) { parameter.value = value }
    }
}

/// ``EpochProgress`` (but its tensors) and the training curve's running sums, as JSON.
struct SavedProgress: Codable {
    var windowsDone: Int
    var totalLoss: Double
    var words: Int
    var windows: Int
    var clippedWindows: Int
    var largestNorm: Double
    var seconds: Double
    var recent: Double
    var recentCount: Int
}

/// ``TrainingHistory`` as JSON (its curve as two arrays).
struct SavedHistory: Codable {
    var epochs: [EpochRecord]
    var curveX: [Double]
    var curveY: [Double]
    var trainSeconds: Double
    var words: Int

    init(_ history: TrainingHistory) {
        epochs = history.epochs
        curveX = history.trainCurve.map(\.x)
        curveY = history.trainCurve.map(\.y)
        trainSeconds = history.trainSeconds
        words = history.words
    }

    var history: TrainingHistory {
        var history = TrainingHistory()
        history.epochs = epochs
        history.trainCurve = zip(curveX, curveY).map { (x: $0, y: $1) }
        history.trainSeconds = trainSeconds
        history.words = words
        return history
    }
}
