import Foundation
import PackageTools

/// The HTML site: every Markdown page through pandoc (formulas written `$…$` / `$$…$$`
/// become MathML, which browsers render without scripts or fonts to fetch), one
/// template with navigation, and the figures copied beside the pages, so the site opens
/// from the file system or from any static file server.
func renderSite(root: URL, chapters: [Int]) throws {
    let book = root.appendingPathComponent("Book"), html = book.appendingPathComponent("html")
    let figures = html.appendingPathComponent("figures")
    try? FileManager.default.removeItem(at: html)
    try FileManager.default.createDirectory(at: figures, withIntermediateDirectories: true)
    let template = FileManager.default.temporaryDirectory.appendingPathComponent("book-template-\(ProcessInfo.processInfo.processIdentifier).html")
    try pageTemplate.write(to: template, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: template) }

    var pages: [(source: String, output: String, title: String)] = [("index.md", "index.html", "Neural NLP, executable")]
    pages += chapters.map { ("\(chapterName($0).lowercased()).md", "\(chapterName($0).lowercased()).html", "Chapter \($0)") }
        .filter { FileManager.default.fileExists(atPath: book.appendingPathComponent($0.0).path) }
    for (i, page) in pages.enumerated() {
        var markdown = try String(contentsOf: book.appendingPathComponent(page.source), encoding: .utf8)
        // figures live beside the pages; links between pages point at the HTML
        for name in figureNames(in: markdown) {
            let source = root.appendingPathComponent("Figures/\(name)"), target = figures.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: target.path) { try FileManager.default.copyItem(at: source, to: target) }
        }
        markdown = markdown.replacingOccurrences(of: "](../Figures/", with: "](figures/")
            .replacingOccurrences(of: #"\]\((chapter\d\d|index)\.md\)"#, with: "]($1.html)", options: .regularExpression)
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("book-\(page.source)")
        try markdown.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        var variables = ["-V", "home=index.html"]
        if i > 0 { variables += ["-V", "previous=\(pages[i - 1].output)", "-V", "previoustitle=\(pages[i - 1].title)"] }
        if i + 1 < pages.count { variables += ["-V", "next=\(pages[i + 1].output)", "-V", "nexttitle=\(pages[i + 1].title)"] }
        try runChecked(["pandoc", "--from", "markdown-implicit_figures", "--to", "html5", "--standalone", "--mathml",
                           "--template", template.path, "--metadata", "pagetitle=\(page.title)"] + variables
                    + ["--output", html.appendingPathComponent(page.output).path, input.path], in: root)
    }
}

/// The SVG figures a page shows.
func figureNames(in markdown: String) -> [String] {
    let regex = try! NSRegularExpression(pattern: #"\]\(\.\./Figures/([^)]+\.svg)\)"#)
    let range = NSRange(markdown.startIndex..., in: markdown)
    return regex.matches(in: markdown, range: range).compactMap { Range($0.range(at: 1), in: markdown).map { String(markdown[$0]) } }
}

/// One template for every page: navigation at the top and bottom, a readable column,
/// and a script that records, once the page has loaded, how many images and formulas it
/// has and how many images failed (the browser test reads these).
let pageTemplate = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$pagetitle$</title>
<style>
body { font-family: "DejaVu Serif", Georgia, serif; max-width: 52rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; line-height: 1.5; color: #222; }
nav { font-family: "DejaVu Sans", sans-serif; font-size: 0.9rem; display: flex; justify-content: space-between; border-bottom: 1px solid #ddd; padding: 0.5rem 0; margin-bottom: 1rem; }
nav.bottom { border-top: 1px solid #ddd; border-bottom: none; margin-top: 2rem; }
pre { background: #f6f6f4; padding: 0.7rem; overflow-x: auto; font-size: 0.82rem; line-height: 1.35; }
pre.text, div.sourceCode + pre { background: #eef3f8; }
code { font-family: "DejaVu Sans Mono", monospace; }
img { max-width: 100%; height: auto; display: block; margin: 1rem auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }
math[display="block"] { margin: 0.8rem 0; font-size: 1.1rem; }
$highlighting-css$
</style>
</head>
<body>
<nav><span>$if(previous)$<a href="$previous$">← $previoustitle$</a>$endif$</span><a href="$home$">Contents</a><span>$if(next)$<a href="$next$">$nexttitle$ →</a>$endif$</span></nav>
$body$
<nav class="bottom"><span>$if(previous)$<a href="$previous$">← $previoustitle$</a>$endif$</span><a href="$home$">Contents</a><span>$if(next)$<a href="$next$">$nexttitle$ →</a>$endif$</span></nav>
<script>
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !i.complete || i.naturalWidth === 0; }).length;
  document.body.setAttribute("data-images", images.length);
  document.body.setAttribute("data-broken-images", broken);
  document.body.setAttribute("data-formulas", document.getElementsByTagName("math").length);
  document.body.setAttribute("data-loaded", "yes");
});
</script>
</body>
</html>
"""#
