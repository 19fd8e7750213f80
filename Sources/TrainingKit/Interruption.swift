import Dispatch
import Foundation

/// Ctrl-C during training: the first SIGINT asks the training loop to stop after the step
/// it is in (it polls ``requested`` between steps, saves what it can and says how to
/// resume); a second one ends the program at once, as usual. Outside training, SIGINT
/// ends the program at once, as it does by default.
public enum Interruption {
    private static let state = InterruptionState()

    /// Catches SIGINT for the duration of a training run.
    public static func begin() { state.begin() }

    /// Ends the training run's catching (SIGINT ends the program again) and forgets any request.
    public static func end() { state.end() }

    /// Whether SIGINT arrived since ``begin()``.
    public static var requested: Bool { state.requested }

    /// Acts as if SIGINT had arrived (for tests).
    public static func request() { state.request() }
}

/// The flag behind ``Interruption``, set from a dispatch queue, read by the training loop.
///
/// The process ignores SIGINT and a dispatch source receives it instead. The source is
/// made once and kept: libdispatch registers it asynchronously, and on Linux a source
/// cancelled and made again could miss the signal. Outside a training run its handler
/// ends the program with status 130, as the default action would.
private final class InterruptionState: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var training = false
    private var source: DispatchSourceSignal?

    var requested: Bool { lock.withLock { flag } }

    func request() { lock.withLock { flag = true } }

    func begin() {
        lock.withLock {
            // The flag is not cleared here: a request made just before (a test's) counts.
            training = true
            guard source == nil else { return }
            signal(SIGINT, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            source.setEventHandler { [weak self] in self?.received() }
            source.resume()
            self.source = source
        }
    }

    func end() {
        lock.withLock {
            training = false
            flag = false
        }
    }

    private func received() {
        let (first, during) = lock.withLock { () -> (Bool, Bool) in
            defer { flag = true }
            return (!flag, training)
        }
        guard during && first else {
            if during { FileHandle.standardError.write(Data("\nSecond interrupt: stopping now, nothing more is saved.\n".utf8)) }
            exit(130)
        }
        FileHandle.standardError.write(Data("\nInterrupt: stopping after this step (Ctrl-C again to stop at once).\n".utf8))
    }
}
