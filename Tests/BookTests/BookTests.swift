import Foundation
import XCTest
@testable import Book

/// The weaver, piece by piece.
final class WeaveTests: XCTestCase {
    func testPiecesSplitProseFromCode() {
        let source = """
        import Foundation

        /*: # Title

         Some *prose*.
        */
        struct A {
            /*: ## Inner
             More.
            */
            func f() {}
        }
        """
        XCTAssertEqual(pieces(of: source), [
            .prose("# Title\n\nSome *prose*."),
            .code("struct A {"),
            .prose("## Inner\nMore."),
            .code("    func f() {}\n}"),
        ])
    }

    func testDurationsAreNormalizedAndNothingElse() {
        XCTAssertEqual(normalizeOutput("epoch 1 (4.8 s), 8,841 words/s, 43.4 ms per step, test 151.9"),
                       "epoch 1 (…), …, … per step, test 151.9")
        XCTAssertEqual(normalizeOutput("Total time: 101.7 s"), "Total time: …")
        XCTAssertEqual(normalizeOutput("Training: …, 47262 words per second (median of epochs: 47360)."),
                       "Training: …, … (median of epochs: …).")
    }

    /// Printed sections follow the prose block whose heading they share, and figures show
    /// where the run announced them.
    func testOutputIsPlacedAfterItsProse() {
        let page = chapterPage(
            pieces: [.prose("# Chapter"), .code("run()"), .prose("## The computation graph"), .code("draw()"),
                     .prose("## Training the model"), .code("train()")],
            output: "# Chapter\nintro line\n## Training: epochs\nloss 1.0\nFigure: Figures/a.svg, Figures/a.png\n",
            figureLink: { "../Figures/\($0)" })
        let training = page.range(of: "train()")!.lowerBound, loss = page.range(of: "loss 1.0")!.lowerBound
        let intro = page.range(of: "intro line")!.lowerBound, graph = page.range(of: "## The computation graph")!.lowerBound
        XCTAssertLessThan(intro, graph)
        XCTAssertLessThan(training, loss)
        XCTAssertTrue(page.contains("![a.svg](../Figures/a.svg)"))
        XCTAssertFalse(page.contains("a.png)"))
    }
}

/// The built site in headless Chromium: every page loads, shows all its figures, and
/// renders its formulas (no TeX left as text); a screenshot of each page is taken.
final class BookBrowserTests: XCTestCase {
    var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func chromium() -> String? {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for folder in ["/usr/bin", "/usr/local/bin", "/snap/bin"] where FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
                return "\(folder)/\(name)"
            }
        }
        return nil
    }

    func runChromium(_ browser: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--allow-file-access-from-files"] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func testEveryPageShowsItsFiguresAndFormulas() throws {
        guard let browser = chromium() else {
            throw XCTSkip("Chromium is not installed (apt-get install chromium): the browser test needs it")
        }
        let html = root.appendingPathComponent("Book/html")
        let pages = try FileManager.default.contentsOfDirectory(atPath: html.path).filter { $0.hasSuffix(".html") }.sorted()
        XCTAssertTrue(pages.contains("index.html"))
        XCTAssertEqual(pages.filter { $0.hasPrefix("chapter") }.count, 9, "\(pages)")
        let shots = FileManager.default.temporaryDirectory.appendingPathComponent("book-shots-\(UUID())")
        try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
        for page in pages {
            let url = html.appendingPathComponent(page)
            let dom = try runChromium(browser, ["--virtual-time-budget=5000", "--dump-dom", url.absoluteString])
            guard let body = dom.range(of: #"<body[^>]*>"#, options: .regularExpression).map({ String(dom[$0]) }) else {
                XCTFail("\(page): no <body> in the rendered page")
                continue
            }
            func attribute(_ name: String) -> Int? {
                body.range(of: "\(name)=\"(\\d+)\"", options: .regularExpression).flatMap { Int(body[$0].filter(\.isNumber)) }
            }
            XCTAssertTrue(body.contains("data-loaded=\"yes\""), "\(page) did not finish loading: \(body)")
            XCTAssertEqual(attribute("data-broken-images"), 0, "\(page) has broken images")
            if page.hasPrefix("chapter") {
                XCTAssertGreaterThan(attribute("data-images") ?? 0, 0, "\(page) shows no figure")
                XCTAssertGreaterThan(attribute("data-formulas") ?? 0, 0, "\(page) renders no formula")
            }
            // TeX left as text would mean a formula was not converted (the TeX source kept
            // inside MathML's <annotation> is not shown)
            let shown = dom.replacingOccurrences(of: #"<annotation[^>]*>[\s\S]*?</annotation>"#, with: "", options: .regularExpression)
            XCTAssertFalse(shown.contains("$$"), "\(page) shows raw $$")
            XCTAssertFalse(shown.contains("\\begin{aligned}"), "\(page) shows raw TeX")
            let shot = shots.appendingPathComponent(page.replacingOccurrences(of: ".html", with: ".png"))
            _ = try runChromium(browser, ["--window-size=1100,1400", "--screenshot=\(shot.path)", url.absoluteString])
            let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 20_000, "\(page): the screenshot is (nearly) empty")
        }
        try? FileManager.default.removeItem(at: shots)
    }
}
