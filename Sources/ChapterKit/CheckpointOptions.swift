import ArgumentParser
import Foundation
import NeuralKit

/// The options of a chapter whose training saves checkpoints (a separate group, so that a
/// chapter without checkpoints does not accept `--checkpoint` and silently save nothing).
public struct CheckpointOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Save the model, the optimizer and the training state to this folder after every epoch (safetensors files), "
            + "so that an interrupted run can continue with --resume.", valueName: "dir"))
    public var checkpoint: String?

    @Flag(help: "Continue from where the run that saved --checkpoint DIR stopped (its last epoch, or the step Ctrl-C stopped it at), with the same options.")
    public var resume = false

    public init() {}

    /// Checked before any work: --resume needs a folder holding a checkpoint.
    public func validate() throws {
        if let checkpoint, !resume { try WritableLocation.checkFolder(checkpoint, option: "--checkpoint") }
        guard resume else { return }
        guard let checkpoint else { throw ValidationError("--resume needs --checkpoint DIR, the folder the earlier run saved to") }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpoint, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--resume: the checkpoint folder \(checkpoint) does not exist")
        }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: checkpoint)) ?? []
        guard files.contains(where: { $0.hasSuffix(Checkpointing.fileExtension) }) else {
            throw ValidationError("--resume: \(checkpoint) holds no checkpoint (*\(Checkpointing.fileExtension))")
        }
    }

    /// Where this run's checkpoints go, or nil without --checkpoint.
    public var checkpointing: Checkpointing? {
        checkpoint.map { Checkpointing(directory: URL(fileURLWithPath: $0, isDirectory: true), resume: resume) }
    }

    /// With --resume, fails unless model `name`'s checkpoint is there: for a chapter that
    /// does other work before it trains that model, so that a missing file is found first.
    public func requireSaved(_ name: String) throws {
        guard resume, let checkpoint = checkpointing(named: name) else { return }
        guard FileManager.default.fileExists(atPath: checkpoint.url.path) else { throw CheckpointError.missing(path: checkpoint.url.path) }
    }

    /// The checkpoint of one model of a chapter (`name`: "chapter09-dan"), or nil without
    /// --checkpoint. In a chapter that trains several models one after another, an
    /// interrupted run saved none for the models it had not reached: with --resume those
    /// (`first` false) start afresh, while the first model's must be there.
    public func checkpointing(named name: String, first: Bool = true) -> Checkpointing? {
        checkpointing?.named(name, startsAfreshIfMissing: !first)
    }
}
