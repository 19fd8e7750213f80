import Foundation
import NeuralKit

/// Where a training run saves its checkpoints and whether it starts from one. A chapter
/// that trains several models gives each its own file (``named(_:)``).
public struct Checkpointing: Sendable {
    public static let fileExtension = ".safetensors"
    public var directory: URL
    public var resume: Bool
    /// The file's name without the extension.
    public var name = "model"
    /// With ``resume``: whether a missing file means "train from the start" (a model the
    /// interrupted run had not reached) instead of an error.
    public var startsAfreshIfMissing = false

    public init(directory: URL, resume: Bool, name: String = "model") {
        self.directory = directory
        self.resume = resume
        self.name = name
    }

    public func named(_ name: String, startsAfreshIfMissing: Bool = false) -> Checkpointing {
        var copy = self
        copy.name = name
        copy.startsAfreshIfMissing = startsAfreshIfMissing
        return copy
    }

    public var url: URL { directory.appendingPathComponent(name + Self.fileExtension) }

    /// Before a run that starts afresh saves its first checkpoint: refuses to overwrite one
    /// already there (a forgotten --resume would lose the earlier run's training).
    public func checkNothingToOverwrite() throws {
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        throw CheckpointError.unusable(
            path: url.path, reason: "there is already a checkpoint here: continue it with --resume, "
                + "or remove it (or choose another --checkpoint folder) to start afresh")
    }

    /// Creates the folder if needed (the first save).
    public func prepareFolder() throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError.unusable(path: directory.path, reason: "cannot create the folder: \(error)")
        }
    }

    /// The command line that continues this run: the same one, with --resume.
    public static var resumeCommand: String {
        let arguments = CommandLine.arguments
        return (arguments + (arguments.contains("--resume") ? [] : ["--resume"])).map(shellQuoted).joined(separator: " ")
    }

    /// Checks that a checkpoint was saved by a run of the same model and training options
    /// (`identity`, as ``identity(_:)`` writes it), naming what differs.
    public func checkCompatible(saved: [String: String], identity current: [String: String]) throws {
        let differences = Set(saved.keys).union(current.keys).sorted().filter { saved[$0] != current[$0] }.map {
            "\($0): checkpoint \(saved[$0] ?? "(none)"), this run \(current[$0] ?? "(none)")"
        }
        guard differences.isEmpty else {
            throw CheckpointError.incompatible(path: url.path, differences: differences)
        }
    }

    /// The identity as one JSON string (sorted keys), for the checkpoint's metadata.
    public static func identity(_ fields: [String: String]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    public static func identity(decoding text: String?) -> [String: String] {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else { return [:] }
        return object
    }
}

/// A checkpoint that cannot be used, named by file.
public enum CheckpointError: Error, CustomStringConvertible {
    case missing(path: String)
    case unusable(path: String, reason: String)
    case incompatible(path: String, differences: [String])
    /// The checkpoint has more epochs done than the run asks for.
    case tooManyEpochs(path: String, done: Int, asked: Int)

    public var description: String {
        switch self {
        case .missing(let path):
            return "--resume: there is no checkpoint \(path) (was the earlier run started with the same options?)"
        case .unusable(let path, let reason): return "checkpoint \(path): \(reason)"
        case .tooManyEpochs(let path, let done, let asked):
            return "--resume: checkpoint \(path) has \(done) epochs done, more than the \(asked) this run asks for; "
                + "give at least \(done) epochs (more continue the run), or start afresh without --resume"
        case .incompatible(let path, let differences):
            return "--resume: checkpoint \(path) was saved by a run with other options:\n  "
                + differences.joined(separator: "\n  ") + "\nresume with the options it was saved with, or start afresh without --resume"
        }
    }
}

private func shellQuoted(_ word: String) -> String {
    let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
    return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// A training run's state as one checkpoint file (safetensors, ``SafeTensors``): the
/// parameters under the names the chapters print, other tensors under prefixed names
/// (`best.<name>`, `optimizer.adam.m.<name>`, `optimizer.adam.v.<name>`), random
/// generators' states as I64 tensors (`generator.<name>`), and in the metadata the
/// format, the epochs done, the run's identity (what a resuming run must match) and
/// whatever else the training loop needs, as strings. Every training loop with
/// checkpoints saves and loads through this.
public struct TrainingCheckpoint {
    public var file = SafeTensors()
    /// The file it was read from (for errors).
    public private(set) var path = ""
    /// A name given to two tensors (the second would overwrite the first): saving refuses.
    private var repeatedName: String?

    public init(format: String, epochsDone: Int, identity: [String: String], metadata: [String: String] = [:]) {
        file.metadata = metadata
        file.metadata["format"] = format
        file.metadata["epochs_done"] = "\(epochsDone)"
        file.metadata["identity"] = Checkpointing.identity(identity)
    }

    public mutating func set(_ parameters: [Parameter<Float>], values: [Tensor<Float>]? = nil, prefix: String = "") {
        for (p, value) in zip(parameters, values ?? parameters.map(\.value)) {
            if file.entries[prefix + p.name] != nil { repeatedName = repeatedName ?? prefix + p.name }
            file.set(prefix + p.name, value)
        }
    }

    /// Adam's step count and each parameter's moments (zeros before its first step).
    public mutating func set(_ adam: Adam<Float>, for parameters: [Parameter<Float>]) {
        for p in parameters {
            let zeros = [Float](repeating: 0, count: p.value.count)
            let (m, v) = adam.moments(of: p) ?? (zeros, zeros)
            file.set("optimizer.adam.m." + p.name, Tensor(shape: p.shape, scalars: m))
            file.set("optimizer.adam.v." + p.name, Tensor(shape: p.shape, scalars: v))
        }
        file.metadata["optimizer.adam.step_count"] = "\(adam.stepCount)"
        file.metadata["optimizer.adam.learning_rate"] = "\(adam.learningRate)"
    }

    public mutating func set(_ name: String, _ generator: SeededGenerator) {
        file.set("generator." + name, integers: generator.state.map { Int64(bitPattern: $0) })
    }

    /// Writes the file atomically, creating the folder if needed.
    public func save(to checkpoint: Checkpointing) throws {
        if let repeatedName {
            throw CheckpointError.unusable(path: checkpoint.url.path, reason: "two parameters are named \(repeatedName): a checkpoint needs unique names")
        }
        try checkpoint.prepareFolder()
        do { try file.write(to: checkpoint.url) } catch {
            throw CheckpointError.unusable(path: checkpoint.url.path, reason: "saving after epoch \(epochsDone) failed: \(error)")
        }
    }

    /// Reads `checkpoint`'s file and checks that it is a `format` checkpoint of a run with
    /// the same `identity`, before anything is loaded.
    public static func load(_ checkpoint: Checkpointing, format: String, identity: [String: String]) throws -> TrainingCheckpoint {
        let path = checkpoint.url.path
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.missing(path: path) }
        var loaded = TrainingCheckpoint(format: format, epochsDone: 0, identity: [:])
        loaded.path = path
        do { loaded.file = try SafeTensors(contentsOf: checkpoint.url) } catch {
            throw CheckpointError.unusable(path: path, reason: "\(error)")
        }
        guard loaded.file.metadata["format"] == format else {
            throw CheckpointError.unusable(path: path, reason: "not a checkpoint of this training (format \(loaded.file.metadata["format"] ?? "none"), expected \(format))")
        }
        try checkpoint.checkCompatible(saved: Checkpointing.identity(decoding: loaded.file.metadata["identity"]), identity: identity)
        return loaded
    }

    public var epochsDone: Int { Int(file.metadata["epochs_done"] ?? "") ?? 0 }

    /// A metadata value, parsed (Float, Double and Int descriptions read back bit for bit).
    public func number<T: LosslessStringConvertible>(_ key: String) throws -> T {
        guard let value = T(try text(key)) else { throw CheckpointError.unusable(path: path, reason: "metadata \(key) is malformed") }
        return value
    }

    public func text(_ key: String) throws -> String {
        guard let text = file.metadata[key] else { throw CheckpointError.unusable(path: path, reason: "metadata \(key) is missing") }
        return text
    }

    /// The saved F32 tensor `name`, its shape checked.
    public func values(named name: String, shape: [Int]) throws -> Tensor<Float> {
        try unusableIfThrows { try file.tensor(name, shape: shape, as: Float.self) }
    }

    /// The saved values of `parameters` (under `prefix` + name), shapes checked.
    public func values(for parameters: [Parameter<Float>], prefix: String = "") throws -> [Tensor<Float>] {
        try unusableIfThrows { try parameters.map { try file.tensor(prefix + $0.name, shape: $0.shape, as: Float.self) } }
    }

    /// Adam as saved: its learning rate, step count and moments.
    public func restore(_ adam: inout Adam<Float>, for parameters: [Parameter<Float>]) throws {
        let moments = try unusableIfThrows {
            try parameters.map { p in
                (p, first: try file.tensor("optimizer.adam.m." + p.name, shape: p.shape, as: Float.self).scalars,
                 second: try file.tensor("optimizer.adam.v." + p.name, shape: p.shape, as: Float.self).scalars)
            }
        }
        let steps: Int = try number("optimizer.adam.step_count")
        guard steps >= 0 else { throw CheckpointError.unusable(path: path, reason: "optimizer.adam.step_count is \(steps)") }
        adam.restore(stepCount: steps, moments: moments)
        adam.learningRate = try number("optimizer.adam.learning_rate")
    }

    public func generator(_ name: String) throws -> SeededGenerator {
        let words = try unusableIfThrows { try file.integers("generator." + name) }
        guard words.count == 4 else { throw CheckpointError.unusable(path: path, reason: "generator.\(name) is not 4 words") }
        return SeededGenerator(state: words.map { UInt64(bitPattern: $0) })
    }

    public func integers(_ name: String) throws -> [Int64] { try unusableIfThrows { try file.integers(name) } }

    private func unusableIfThrows<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as SafeTensorsError {
            throw CheckpointError.unusable(path: path, reason: "\(error)")
        }
    }
}

/// FNV-1a of a list of ids, for a checkpoint's identity: a different training text is a
/// different run.
public func fingerprint(_ ids: [Int]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for id in ids { hash = (hash ^ UInt64(truncatingIfNeeded: id)) &* 0x100_0000_01b3 }
    return "\(ids.count) ids, FNV-1a \(String(hash, radix: 16))"
}

/// The state of an Adam training loop (the classifiers and taggers of Chapters 1, 2 and 9,
/// the window language model of Chapter 4), saved after every epoch and restored by
/// `--resume` through ``TrainingCheckpoint``: the parameters, Adam, the one random
/// generator the loop draws from (batch order, dropout), the best epoch's score and
/// parameters (when the loop keeps its best epoch), and the loop's own `History` (as
/// JSON). Ctrl-C saves the state after the current step, and `--resume` goes on from the
/// next step as if never stopped.
///
/// A loop runs, for each epoch in ``epochs(upTo:)``:
/// ```
/// run.startEpoch()                          // before drawing the epoch's order
/// ... draw the epoch's order from run.generator (or shuffle run.history) ...
/// let (first, sums) = try run.resumePoint(sums: [0, 0])   // the running sums of the epoch
/// for step in first..<steps { train with run.optimizer and run.generator;
///     try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: steps, sums: [...]) }
/// record into run.history, run.keepIfBest(score)
/// try run.endEpoch(epoch, steps: steps)
/// ```
/// and ``finish()`` at the end. The history may change only at the start of an epoch
/// (before `resumePoint`) and at its end.
public struct CheckpointedTraining<History: Codable> {
    public let parameters: [Parameter<Float>]
    public var optimizer: Adam<Float>
    public var generator: SeededGenerator
    public var history: History
    public private(set) var completed = 0
    public private(set) var best: (score: Double, values: [Tensor<Float>])?
    let checkpoint: Checkpointing?
    let format: String
    let identity: [String: String]
    /// The generator and history as the current epoch began (a mid-epoch checkpoint
    /// replays the epoch's start from them).
    var epochStart: (generator: SeededGenerator, history: History)?
    /// Loaded from a mid-epoch checkpoint: where the epoch after `completed` stood.
    var resuming: (step: Int, sums: [Double], generator: SeededGenerator)?

    /// Starts a run, or with `checkpoint.resume` puts back the saved one (after checking
    /// it was saved by a run with the same `identity`); without resuming, saves epoch 0,
    /// so that an interrupt during the first epoch can resume. Catches Ctrl-C
    /// (``Interruption``) until ``finish()``.
    public init(parameters: [Parameter<Float>], optimizer: Adam<Float>, generator: SeededGenerator, history: History,
                checkpoint: Checkpointing?, format: String, identity: [String: String]) throws {
        self.parameters = parameters
        self.optimizer = optimizer
        self.generator = generator
        self.history = history
        self.checkpoint = checkpoint
        self.format = format
        var identity = identity
        identity["parameters"] = parameters.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
        identity["kernels"] = "\(Kernels.choice)"
        identity["learning_rate"] = "\(optimizer.learningRate)"
        self.identity = identity
        if let checkpoint, checkpoint.resume,
           !(checkpoint.startsAfreshIfMissing && !FileManager.default.fileExists(atPath: checkpoint.url.path)) {
            try restore(from: checkpoint)
        } else {
            try checkpoint?.checkNothingToOverwrite()
            try save()
        }
        Interruption.begin()
    }

    private mutating func restore(from checkpoint: Checkpointing) throws {
        let file = try TrainingCheckpoint.load(checkpoint, format: format, identity: identity)
        let values = try file.values(for: parameters)
        try file.restore(&optimizer, for: parameters)
        generator = try file.generator("training")
        guard let saved = CheckpointJSON.decode(History.self, from: try file.text("history")) else {
            throw CheckpointError.unusable(path: checkpoint.url.path, reason: "metadata history is malformed")
        }
        history = saved
        if file.file.metadata["best_score"] != nil {
            best = (try file.number("best_score"), try file.values(for: parameters, prefix: "best."))
        }
        completed = file.epochsDone
        var point = "epoch \(completed)"
        if let step: Int = try? file.number("epoch_in_progress.step") {
            let sums = try file.text("epoch_in_progress.sums").split(separator: " ").map { Double($0) ?? .nan }
            // The epoch is replayed from its start (generator as it was then); after its
            // order is drawn, the generator is the one saved after the step.
            resuming = (step, sums, generator)
            generator = try file.generator("epoch_start")
            point = "step \(step) of epoch \(completed + 1)"
        }
        for (p, value) in zip(parameters, values) { p.value = value }
        say("Resumed from \(checkpoint.url.path) after \(point).")
    }

    /// The epochs still to train (the one interrupted half-way included).
    /// A checkpoint with more epochs done than `count` is refused: its parameters are not
    /// those of a `count`-epoch run.
    public func epochs(upTo count: Int) throws -> ClosedRange<Int>? {
        guard completed <= count else { throw CheckpointError.tooManyEpochs(path: checkpoint?.url.path ?? "", done: completed, asked: count) }
        return completed < count ? (completed + 1)...count : nil
    }

    /// Call at the start of every epoch, before the generator or the history is touched.
    public mutating func startEpoch() { epochStart = (generator, history) }

    /// Where the epoch starts: step 0 and `sums` (the epoch's running sums, zero), or the
    /// step after the one a mid-epoch checkpoint was saved at, with the sums saved then.
    public mutating func resumePoint(sums: [Double]) throws -> (step: Int, sums: [Double]) {
        guard let point = resuming else { return (0, sums) }
        // A damaged (or edited) file must not trap later on a NaN count or a short list.
        guard point.sums.count == sums.count, point.sums.allSatisfy({ $0.isFinite && $0 >= 0 }), point.step >= 0 else {
            throw CheckpointError.unusable(path: checkpoint?.url.path ?? "the checkpoint",
                                           reason: "epoch_in_progress holds step \(point.step) and sums \(point.sums)")
        }
        resuming = nil
        generator = point.generator
        return (point.step, point.sums)
    }

    /// Keeps the parameters if `score` beats the best so far (the first epoch always does).
    public mutating func keepIfBest(_ score: Double) {
        if best == nil || score > best!.score { best = (score, parameters.map(\.value)) }
    }

    /// After an epoch of `steps` steps: saves the checkpoint, and stops if Ctrl-C arrived.
    public mutating func endEpoch(_ epoch: Int, steps: Int) throws {
        completed = epoch
        epochStart = nil
        try save()
        if Interruption.requested {
            throw TrainingError.interrupted(epoch: epoch, step: steps, checkpoint: checkpoint, savedEpoch: epoch)
        }
    }

    /// After each step (`step` of `steps`, with the epoch's running `sums`): if Ctrl-C
    /// arrived, saves the state after this step and throws
    /// ``TrainingError/interrupted(epoch:step:saved:)``. After the last step it waits for
    /// ``endEpoch(_:steps:)``, which saves the whole epoch.
    public func stopIfInterrupted(epoch: Int, step: Int, of steps: Int, sums: [Double]) throws {
        guard Interruption.requested, step < steps else { return }
        try save(after: (step, sums))
        throw TrainingError.interrupted(epoch: epoch, step: step, checkpoint: checkpoint, savedEpoch: completed, midEpoch: true)
    }

    /// Puts back the best epoch's parameters (if the loop kept one) and stops catching Ctrl-C.
    public func finish() {
        Interruption.end()
        if let best { for (p, value) in zip(parameters, best.values) { p.value = value } }
    }

    func save(after step: (index: Int, sums: [Double])? = nil) throws {
        guard let checkpoint else { return }
        var file = TrainingCheckpoint(format: format, epochsDone: completed, identity: identity)
        file.set(parameters)
        file.set(optimizer, for: parameters)
        file.set("training", generator)
        if let best {
            file.set(parameters, values: best.values, prefix: "best.")
            file.file.metadata["best_score"] = "\(best.score)"
        }
        var history = self.history
        if let step, let start = epochStart {
            history = start.history
            file.set("epoch_start", start.generator)
            file.file.metadata["epoch_in_progress.step"] = "\(step.index)"
            file.file.metadata["epoch_in_progress.sums"] = step.sums.map { "\($0)" }.joined(separator: " ")
        }
        file.file.metadata["history"] = try CheckpointJSON.encode(history)
        try file.save(to: checkpoint)
    }
}

/// The JSON a checkpoint keeps in its metadata (the history, an epoch in progress). A
/// perplexity can be infinite after a finite but huge loss, so non-finite numbers are
/// written as strings, as `writeResults` writes them, instead of failing the save.
public enum CheckpointJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) -> T? {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try? decoder.decode(type, from: Data(text.utf8))
    }
}
