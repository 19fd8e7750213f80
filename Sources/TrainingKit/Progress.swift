import Foundation

/// A one-line progress bar on stderr, redrawn in place; silent when stderr is not a
/// terminal (CI logs stay clean).
public struct ProgressBar {
    public let label: String
    public let total: Int
    private let enabled: Bool
    private var lastDrawn = -1

    public init(_ label: String, total: Int) {
        self.label = label
        self.total = max(total, 1)
        enabled = isatty(STDERR_FILENO) != 0
    }

    /// Redraws when the percentage changes; `status` follows the bar (e.g. the loss).
    public mutating func update(_ done: Int, status: @autoclosure () -> String = "") {
        guard enabled else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30, filled = percent * width / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write("\r\(label) \(bar) \(percent)% \(status())\u{1B}[K".data(using: .utf8)!)
    }

    /// Clears the line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write("\r\u{1B}[K".data(using: .utf8)!)
    }
}
