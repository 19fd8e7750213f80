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

    /// Each printed section goes where a prose marker names it (by a prefix of its printed
    /// heading), after the code that follows that prose block, even when an earlier block's
    /// heading shares its words; the markers themselves are not shown.
    func testOutputIsPlacedByItsMarker() throws {
        let page = try chapterPage(
            pieces: [.prose("# Chapter\n<!-- output: (opening) -->"), .code("run()"),
                     .prose("## Training the model\nWhat training does."), .code("setUp()"),
                     .prose("## The computation graph"), .code("draw()"),
                     .prose("Now the loss.\n<!-- output: Training: epochs -->"), .code("train()")],
            output: "# Chapter\nintro line\n## Training: epochs\nloss 1.0\nFigure: Figures/a.svg, Figures/a.png\n",
            figureLink: { "../Figures/\($0)" })
        assertInOrder(page, "run()", "intro line", "## Training the model", "draw()", "train()", "loss 1.0")
        XCTAssertFalse(page.contains("<!--"), page)
        XCTAssertTrue(page.contains("![a.svg](../Figures/a.svg)"))
        XCTAssertFalse(page.contains("a.png)"))
    }

    /// Each text appears in the page, after the one before it.
    func assertInOrder(_ page: String, _ texts: String..., line: UInt = #line) {
        let positions = texts.map { page.range(of: $0)?.lowerBound }
        XCTAssertFalse(positions.contains(nil), "missing: \(zip(texts, positions).filter { $0.1 == nil }.map(\.0))", line: line)
        let found = positions.compactMap { $0 }
        XCTAssertEqual(found, found.sorted(), "not in the order \(texts)", line: line)
    }

    /// A marker that names no printed heading cuts the output at the line it starts: the
    /// figures a section announced go after the prose that explains them.
    func testAMarkerCanCutASectionAtALine() throws {
        let page = try chapterPage(
            pieces: [.prose("# Chapter\n<!-- output: (opening) -->"), .prose("## Training\n<!-- output: Training: -->"), .code("train()"),
                     .prose("## The graphs\n<!-- output: Figures: -->"), .code("draw()")],
            output: "intro\n## Training: epochs\nloss 1.0\nFigures: Figures/a.svg\nTotal time: …\n",
            figureLink: { "../Figures/\($0)" })
        assertInOrder(page, "train()", "loss 1.0", "## The graphs", "draw()", "![a.svg]", "Total time")
        XCTAssertThrowsError(try chapterPage(pieces: [.prose("<!-- output: (opening) -->\n<!-- output: Training: -->\n<!-- output: Figure: b -->")],
                                             output: "intro\n## Training: epochs\nFigures: Figures/a.svg\n", figureLink: { _ in nil }))
    }

    /// A printed section no marker names, a marker that names no section (or two), and a
    /// section named twice are errors that say which chapter and which heading.
    func testUnplacedSectionsAndUnusedMarkersAreErrors() {
        let output = "intro\n## Binary classifier: is it a location?\nJ = 0.5\n## Binary classifier: softmax\nP = 1\n"
        func message(_ prose: String) -> String {
            do {
                _ = try chapterPage(pieces: [.prose(prose)], output: output, chapter: "Chapter42", figureLink: { _ in nil })
                return "no error"
            } catch { return "\(error)" }
        }
        let all = "<!-- output: (opening) -->\n<!-- output: Binary classifier: is -->\n<!-- output: Binary classifier: soft -->"
        XCTAssertEqual(message(all), "no error")
        let unplaced = message("<!-- output: (opening) -->\n<!-- output: Binary classifier: is -->")
        XCTAssertTrue(unplaced.contains("Chapter42") && unplaced.contains("Binary classifier: softmax") && unplaced.contains("no marker"), unplaced)
        let unused = message(all + "\n<!-- output: Gradient check -->")
        XCTAssertTrue(unused.contains("Chapter42") && unused.contains("<!-- output: Gradient check -->") && unused.contains("0 printed"), unused)
        let ambiguous = message("<!-- output: (opening) -->\n<!-- output: Binary classifier -->")
        XCTAssertTrue(ambiguous.contains("names 2 printed sections"), ambiguous)
        let twice = message(all + "\n<!-- output: Binary classifier: is it -->")
        XCTAssertTrue(twice.contains("two markers"), twice)
        let noOpening = message("<!-- output: Binary classifier: is -->\n<!-- output: Binary classifier: soft -->")
        XCTAssertTrue(noOpening.contains("before the first heading"), noOpening)
    }

    /// A printed Markdown table becomes a table of the page (cells escaped so that they
    /// show what was printed); the lines around it stay in output blocks.
    func testPrintedTablesRenderAsTables() {
        let lines = ["## Results", "| model | perplexity |", "|---|---:|", "| RNN *tanh* $H$ | 2.4 |", "| KN 5-gram | 2.7 |",
                     "Validation perplexity 2.6.", "| a pipe line with no rule |"]
        let blocks = renderOutput(lines, figureLink: { _ in nil })
        XCTAssertEqual(blocks, [
            "```text\n## Results\n```",
            "| model | perplexity |\n|---|---:|\n| RNN \\*tanh\\* \\$H\\$ | 2.4 |\n| KN 5-gram | 2.7 |",
            "```text\nValidation perplexity 2.6.\n| a pipe line with no rule |\n```",
        ])
        XCTAssertTrue(isTableRule("| --- | :---: | ---: |"))
        XCTAssertFalse(isTableRule("| 5 | 100.0% |"))
    }

    /// `// book: hide` … `// book: show` leaves code out of the page; `// book: details`
    /// folds it; a chapter's CommandLine.swift is folded; the main file's title opens the
    /// page even when the reading order puts the rest of it later.
    func testPlumbingIsHiddenOrFolded() throws {
        let main = "/*: # Title */\nlet walk = 1\n// book: hide\nlet secret = 2\n// book: show\nlet shown = 3\n"
        XCTAssertEqual(pieces(of: main), [.prose("# Title"), .code("let walk = 1\nlet shown = 3")])
        let results = "import Foundation\n\n// book: details What --json writes\nstruct Results {}\n"
        XCTAssertEqual(pieces(of: results), [.folded(summary: "What --json writes", code: "struct Results {}")])
        let page = try chapterPieces(
            [("Model.swift", "/*: ## The model */\nstruct Model {}"), ("Chapter42.swift", main),
             ("CommandLine.swift", "/*: ## The command line */\n@main struct Chapter42 {}")],
            main: "Chapter42.swift", read: { _ in "" })
        XCTAssertEqual(page, [
            .prose("# Title"), .prose("## The model"), .code("struct Model {}"), .code("let walk = 1\nlet shown = 3"),
            .prose("## The command line"),
            .folded(summary: "The command line (CommandLine.swift: options and entry point)", code: "@main struct Chapter42 {}"),
        ])
    }
}

/// Library code woven into a chapter's page by name.
final class LibraryCodeTests: XCTestCase {
    let source = """
    import Foundation

    /// Not this one.
    public struct LSTMState {}

    /// The cell.
    /// Two lines of doc.
    @frozen
    public struct LSTMCell<Scalar: TensorScalar>: RecurrentCell {
        public let weight: Int
        /// One step: braces in strings and comments do not count.
        public func step(
            state: Int
        ) -> Int {
            let text = "}}} { \\\\" // }
            /* } */
            // BEGIN \("SOLUTION") ch7-lstm-cell
            return state + text.count
            // END \("SOLUTION")
        }
        public var stateCount: Int { 2 }
    }

    extension LSTMCell { func step(other: Int) {} }
    """

    func testADeclarationIsFoundByNameWithItsDocComment() {
        XCTAssertEqual(declaration(named: "LSTMCell.step", in: source), """
        /// One step: braces in strings and comments do not count.
        public func step(
            state: Int
        ) -> Int {
            let text = "}}} { \\\\" // }
            /* } */
            return state + text.count
        }
        """)
        let cell = declaration(named: "LSTMCell", in: source)
        XCTAssertEqual(cell?.split(separator: "\n").first, "/// The cell.")
        XCTAssertEqual(cell?.split(separator: "\n").last, "}")
        XCTAssertTrue(cell?.contains("public var stateCount: Int { 2 }") == true)
        XCTAssertFalse(cell?.contains("extension") == true)
        XCTAssertFalse(cell?.contains("Not this one") == true)
        XCTAssertEqual(declaration(named: "LSTMCell.stateCount", in: source), "public var stateCount: Int { 2 }")
        XCTAssertNil(declaration(named: "GRUCell", in: source))
        XCTAssertNil(declaration(named: "LSTMCell.reset", in: source))
        XCTAssertNil(declaration(named: "LSTMState.step", in: source))
    }

    func testACodeDirectiveIsReplacedOrNamesWhatIsMissing() throws {
        let prose = Piece.prose("## The cell\nIts step:\n<!-- code: Sources/X/Cell.swift LSTMCell.step -->\nAfter it.")
        let woven = try weaveLibraryCode([prose], chapter: "Chapter07.swift") { _ in self.source }
        XCTAssertEqual(woven.count, 3)
        XCTAssertEqual(woven.first, .prose("## The cell\nIts step:"))
        XCTAssertEqual(woven.last, .prose("After it."))
        guard case .library(let file, let symbol, let code) = woven[1] else { return XCTFail("\(woven)") }
        XCTAssertEqual(file, "Sources/X/Cell.swift")
        XCTAssertEqual(symbol, "LSTMCell.step")
        XCTAssertTrue(code.hasPrefix("/// One step"))
        XCTAssertEqual(wovenFiles(woven), ["Sources/X/Cell.swift"])
        let missing = Piece.prose("<!-- code: Sources/X/Cell.swift GRUCell.step -->")
        XCTAssertThrowsError(try weaveLibraryCode([missing], chapter: "Chapter08.swift") { _ in self.source }) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("Chapter08.swift") && text.contains("Sources/X/Cell.swift") && text.contains("GRUCell.step"), text)
        }
    }

    var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Every chapter's pieces weave (their library code is found) and its saved output is
    /// placed whole by its markers; Chapters 2, 5, 7 and 8 show their models.
    func testEveryChapterWeavesItsCodeAndPlacesItsOutput() throws {
        var shown: [String: [String]] = [:]
        for number in try chapterNumbers(root) {
            let name = chapterName(number)
            let files = try chapterFiles(root, number)
            let pieces = try chapterPieces(files.map { ($0.lastPathComponent, try String(contentsOf: $0, encoding: .utf8)) },
                                           main: "\(name).swift") { try String(contentsOf: self.root.appendingPathComponent($0), encoding: .utf8) }
            shown[name] = pieces.compactMap { if case .library(_, let symbol, _) = $0 { return symbol } else { return nil } }
            guard case .prose(let first) = pieces.first, first.hasPrefix("# Chapter \(number)") else {
                XCTFail("\(name): the page does not open with its title")
                continue
            }
            let output = root.appendingPathComponent("Book/output/\(name).txt")
            guard let text = try? String(contentsOf: output, encoding: .utf8) else { continue }
            XCTAssertNoThrow(try chapterPage(pieces: pieces, output: normalizeOutput(text), chapter: name, figureLink: { _ in nil }))
        }
        XCTAssertTrue(shown["Chapter02"]?.contains("DeepAveragingNetwork") == true, "\(shown)")
        XCTAssertTrue(shown["Chapter05"]?.contains { $0.hasPrefix("RNNCell") } == true, "\(shown)")
        XCTAssertTrue(shown["Chapter07"]?.contains { $0.hasPrefix("LSTMCell") } == true, "\(shown)")
        XCTAssertTrue(shown["Chapter08"]?.contains { $0.hasPrefix("GRUCell") } == true, "\(shown)")
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

/// The exercises a student reads name what the autograder grades.
final class ExerciseTextTests: XCTestCase {
    var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    struct Points: Decodable {
        struct Exercise: Decodable { var id: String, file: String, tests: [String] }
        var exercises: [Exercise]
    }

    /// Every graded exercise (Sources/Autograder/points.json) is named in its chapter's
    /// Exercises.swift by its region and every test that grades it, and its file holds
    /// that region; every coding exercise of a chapter names a graded region.
    func testEveryCodingExerciseNamesItsRegionAndTests() throws {
        let points = try JSONDecoder().decode(Points.self, from: Data(contentsOf: root.appendingPathComponent("Sources/Autograder/points.json")))
        let ids = Set(points.exercises.map(\.id))
        func exercisesText(_ number: Int) throws -> String {
            try String(contentsOf: root.appendingPathComponent("Chapters/\(chapterName(number))/Exercises.swift"), encoding: .utf8)
        }
        for exercise in points.exercises {
            guard let number = Int(exercise.id.dropFirst(2).prefix { $0.isNumber }) else {
                XCTFail("\(exercise.id): the id does not start with chN-")
                continue
            }
            let text = try exercisesText(number)
            XCTAssertTrue(text.contains("region `\(exercise.id)`"), "\(chapterName(number))'s exercises do not name region \(exercise.id)")
            for test in exercise.tests {
                XCTAssertTrue(text.contains("`\(test)`"), "\(chapterName(number))'s exercises do not name \(test), which grades \(exercise.id)")
            }
            let source = try String(contentsOf: root.appendingPathComponent(exercise.file), encoding: .utf8)
            XCTAssertTrue(source.contains("// BEGIN SOLUTION \(exercise.id)\n"), "\(exercise.file) has no region \(exercise.id)")
        }
        for number in try chapterNumbers(root) {
            // one item per numbered line " N. **Title.**"
            let items = try exercisesText(number).components(separatedBy: "\n").reduce(into: [String]()) { items, line in
                if line.range(of: #"^\s*\d+\. \*\*"#, options: .regularExpression) != nil { items.append(line) } else if !items.isEmpty { items[items.count - 1] += "\n" + line }
            }
            for item in items where item.contains("(Coding)") {
                let named = ids.filter { item.contains("region `\($0)`") }
                XCTAssertFalse(named.isEmpty, "\(chapterName(number)): a coding exercise names no graded region: \(item)")
            }
        }
    }
}
