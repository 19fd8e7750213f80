import Foundation
import NeuralKit

/// Prints a line at once (unbuffered), so progress shows up live in a pipe or a log file.
public func say(_ line: String) {
    FileHandle.standardOutput.write((line + "\n").data(using: .utf8)!)
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Training that went wrong, named by where it happened. Each stops the run (the chapter
/// exits non-zero through ArgumentParser): nothing after it would be a result.
public enum TrainingError: Error, CustomStringConvertible {
    case nonFiniteLoss(epoch: Int, step: Int)
    /// The gradient's norm (measured before clipping) was NaN or infinite.
    case nonFiniteGradient(epoch: Int, step: Int, norm: Double)
    /// A parameter held NaN or an infinity after the epoch's last step.
    case nonFiniteParameter(epoch: Int, step: Int, name: String)
    /// The validation measure (`what`: "validation perplexity", "dev accuracy", ...) after
    /// the epoch was not finite; `step` is the epoch's last step.
    case nonFiniteValidation(epoch: Int, step: Int, what: String, value: Double)
    /// SIGINT (Ctrl-C): training stopped after `step` of epoch `epoch`; `saved` says what
    /// was saved and how to resume.
    case interrupted(epoch: Int, step: Int, saved: String)
    /// The training text is too short to fill one window of the batch: nothing would be
    /// trained, and the "trained" model reported would be the initial one.
    case tooLittleText(words: Int, needed: Int, options: String)

    public var description: String {
        let advice = "; try a smaller --learning-rate (or clipping)"
        switch self {
        case .nonFiniteLoss(let epoch, let step):
            return "training stopped: the loss became NaN or infinite at epoch \(epoch), step \(step)" + advice
        case .nonFiniteGradient(let epoch, let step, let norm):
            return "training stopped: the gradient's norm became \(norm) at epoch \(epoch), step \(step)" + advice
        case .nonFiniteParameter(let epoch, let step, let name):
            return "training stopped: parameter \(name) became NaN or infinite at epoch \(epoch), step \(step)" + advice
        case .nonFiniteValidation(let epoch, let step, let what, let value):
            return "training stopped: the \(what) became \(value) after epoch \(epoch) (step \(step), its last)" + advice
        case .interrupted(let epoch, let step, let saved):
            return "interrupted (Ctrl-C) in epoch \(epoch) after step \(step). \(saved)"
        case .tooLittleText(let words, let needed, let options):
            return "the training text has \(words) predicted words, fewer than the \(needed) one batch needs; "
                + "use more text or a smaller \(options)"
        }
    }

    /// Ctrl-C in epoch `epoch` after `step`: says what was saved and how to resume. With
    /// `midEpoch`, the checkpoint holds the state after that step; otherwise the
    /// checkpoint of `savedEpoch`, the last complete epoch, is the resume point.
    public static func interrupted(epoch: Int, step: Int, checkpoint: Checkpointing?, savedEpoch: Int,
                                   midEpoch: Bool = false) -> TrainingError {
        let saved = checkpoint.map {
            (midEpoch ? "The state after step \(step) of epoch \(epoch) is saved in \($0.url.path)"
                : "The checkpoint of epoch \(savedEpoch) is in \($0.url.path)"
                    + (savedEpoch < epoch ? " (epoch \(epoch) restarts from its beginning)" : ""))
                + ". Resume with:\n  \(Checkpointing.resumeCommand)"
        } ?? "Nothing was saved: run with --checkpoint DIR to be able to resume."
        return .interrupted(epoch: epoch, step: step, saved: saved)
    }

    /// Throws unless every value of every parameter is finite (after an epoch: a last
    /// step can leave NaN in the parameters with a finite loss).
    public static func checkFinite<Scalar: TensorScalar>(_ parameters: [Parameter<Scalar>], epoch: Int, step: Int) throws {
        // A closure, not the key path \.isFinite: this target is built without optimization
        // in debug builds, where a key path is looked up at run time for every scalar.
        for p in parameters where !p.value.scalars.allSatisfy({ $0.isFinite }) {
            throw nonFiniteParameter(epoch: epoch, step: step, name: p.name)
        }
    }

    /// Throws unless a gradient norm, measured at `step`, is finite.
    public static func checkFinite(gradientNorm norm: Double, epoch: Int, step: Int) throws {
        guard norm.isFinite else { throw nonFiniteGradient(epoch: epoch, step: step, norm: norm) }
    }

    /// Throws unless the validation measure after `epoch` (whose last step was `step`) is finite.
    public static func checkFinite(validation value: Double, _ what: String, epoch: Int, step: Int) throws {
        guard value.isFinite else { throw nonFiniteValidation(epoch: epoch, step: step, what: what, value: value) }
    }
}
