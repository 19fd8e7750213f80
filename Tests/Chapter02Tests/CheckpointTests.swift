import ChapterKit
import Foundation
import NeuralKit
import XCTest
@testable import Chapter02

/// The whole chapter, as a user runs it: divergence, and checkpoints resumed.
final class Chapter02CheckpointTests: XCTestCase {
    func folder() -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch02-\(UUID())")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    /// Runs the chapter; returns its JSON results without the timings (the lines that
    /// name seconds).
    func results(_ arguments: [String]) throws -> [Substring] {
        let out = folder()
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let json = out.appendingPathComponent("results.json").path
        try Chapter02.parse(["--figures", out.path, "--json", json] + arguments).run()
        return try String(contentsOfFile: json, encoding: .utf8).split(separator: "\n").filter { !$0.contains("seconds") }
    }

    func testDivergenceStopsTheChapterNamingEpochAndStep() {
        XCTAssertThrowsError(try results(["--epochs", "2", "--learning-rate", "1e30"])) { error in
            let text = "\(error)"
            XCTAssertTrue(error is TrainingError && text.contains("epoch 1") && text.contains("step"), text)
        }
    }

    /// 1 epoch with --checkpoint, then --resume for 3: the results of 3 epochs straight
    /// (both tasks); and a run interrupted (Ctrl-C, raised here as the handler raises it)
    /// resumes to the same results too.
    func testResumedRunsGiveTheUninterruptedResults() throws {
        let straight = try results(["--epochs", "3"])
        let checkpoints = folder().path
        _ = try results(["--epochs", "1", "--checkpoint", checkpoints])
        XCTAssertEqual(try results(["--epochs", "3", "--checkpoint", checkpoints, "--resume"]), straight)

        let interrupted = folder().path
        Interruption.request()
        XCTAssertThrowsError(try results(["--epochs", "3", "--checkpoint", interrupted])) { error in
            XCTAssertTrue("\(error)".contains("in epoch 1 after step 1. The state after step 1 of epoch 1 is saved in"), "\(error)")
        }
        XCTAssertEqual(try results(["--epochs", "3", "--checkpoint", interrupted, "--resume"]), straight)
    }

    func testResumeNeedsACheckpointFolder() {
        XCTAssertThrowsError(try Chapter02.parse(["--resume"])) {
            XCTAssertTrue(Chapter02.message(for: $0).contains("--resume needs --checkpoint DIR"), Chapter02.message(for: $0))
        }
        XCTAssertThrowsError(try Chapter02.parse(["--resume", "--checkpoint", "/no/such/folder"])) {
            XCTAssertTrue(Chapter02.message(for: $0).contains("does not exist"), Chapter02.message(for: $0))
        }
    }

    /// A real SIGINT, sent to this process while the handler is installed, sets the flag
    /// the training loops poll (and does not end the process).
    func testSIGINTSetsTheFlag() {
        Interruption.begin()
        defer { Interruption.end() }
        XCTAssertFalse(Interruption.requested)
        // The dispatch source is registered asynchronously; until then SIGINT is ignored.
        // Signals are sent far enough apart that a second one never arrives after the
        // first was seen (that one would end the process, as a second Ctrl-C does).
        for _ in 0..<25 where !Interruption.requested {
            kill(getpid(), SIGINT)
            usleep(200_000)
        }
        XCTAssertTrue(Interruption.requested)
    }
}
