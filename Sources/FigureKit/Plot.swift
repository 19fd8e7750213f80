import Foundation
import NeuralKit

/// A small line plot written as SVG text: for the curves a chapter measures (perplexity
/// by n-gram order, loss by epoch, gradient norm by distance). Every number is written
/// with fixed precision and the series in the order given, so the same data always gives
/// the same bytes.
public struct LinePlot: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(_ name: String, _ points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// A logarithmic y axis (for quantities that span decades, like perplexity).
    public var logarithmicY = false
    /// A logarithmic x axis (for sizes that span decades, like a vocabulary); with
    /// `logarithmicY`, a log–log plot, where a power law is a straight line.
    public var logarithmicX = false

    public let width = 640.0, height = 420.0
    let margin = (left: 70.0, right: 170.0, top: 40.0, bottom: 55.0)
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    public init(title: String, xLabel: String, yLabel: String, series: [Series], logarithmicY: Bool = false,
                logarithmicX: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.logarithmicY = logarithmicY
        self.logarithmicX = logarithmicX
    }

    var finitePoints: [(x: Double, y: Double)] {
        series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logarithmicY || $0.y > 0) && (!logarithmicX || $0.x > 0) }
    }

    /// The data ranges, widened to whole tick steps.
    var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let points = finitePoints
        let xs = points.map { logarithmicX ? log10($0.x) : $0.x }, ys = points.map { logarithmicY ? log10($0.y) : $0.y }
        var x = (xs.min() ?? 0)...(xs.max() ?? 1)
        var y = (ys.min() ?? 0)...(ys.max() ?? 1)
        if x.lowerBound == x.upperBound { x = (x.lowerBound - 1)...(x.upperBound + 1) }
        if y.lowerBound == y.upperBound { y = (y.lowerBound - 1)...(y.upperBound + 1) }
        if logarithmicX { x = floor(x.lowerBound)...ceil(x.upperBound) }
        if logarithmicY {
            y = floor(y.lowerBound)...ceil(y.upperBound)
        } else {
            let step = Self.niceStep(y.upperBound - y.lowerBound)
            y = (floor(y.lowerBound / step) * step)...(ceil(y.upperBound / step) * step)
        }
        return (x, y)
    }

    /// About a fifth of `span`, rounded to 1, 2 or 5 times a power of ten.
    static func niceStep(_ span: Double) -> Double {
        let raw = span / 5, power = pow(10, floor(log10(raw)))
        let mantissa = raw / power
        return (mantissa < 1.5 ? 1 : mantissa < 3.5 ? 2 : mantissa < 7.5 ? 5 : 10) * power
    }

    /// Data coordinates → SVG coordinates (y grows downward in SVG).
    func position(_ p: (x: Double, y: Double)) -> (x: Double, y: Double) {
        let r = ranges
        let plotWidth = width - margin.left - margin.right, plotHeight = height - margin.top - margin.bottom
        let y = logarithmicY ? log10(p.y) : p.y, x = logarithmicX ? log10(p.x) : p.x
        return (margin.left + (x - r.x.lowerBound) / (r.x.upperBound - r.x.lowerBound) * plotWidth,
                margin.top + (1 - (y - r.y.lowerBound) / (r.y.upperBound - r.y.lowerBound)) * plotHeight)
    }

    public func svg() -> String {
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
        let r = ranges
        let left = margin.left, right = width - margin.right, top = margin.top, bottom = height - margin.bottom
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
        viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="14">\(escape(title))</text>
        <rect x="\(f(left))" y="\(f(top))" width="\(f(right - left))" height="\(f(bottom - top))" fill="none" stroke="#444"/>

        """
        // x ticks: every whole number when the range is small, else about five round steps
        let xSpan = r.x.upperBound - r.x.lowerBound
        let xStep = xSpan <= 12 ? 1.0 : Self.niceStep(xSpan)
        for tick in stride(from: (r.x.lowerBound / xStep).rounded(.up) * xStep, through: r.x.upperBound + 1e-9, by: xStep) {
            let x = logarithmicX ? pow(10, tick) : tick
            let p = position((x, logarithmicY ? pow(10, r.y.lowerBound) : r.y.lowerBound))
            out += "<line x1=\"\(f(p.x))\" y1=\"\(f(bottom))\" x2=\"\(f(p.x))\" y2=\"\(f(bottom + 5))\" stroke=\"#444\"/>"
            out += "<text x=\"\(f(p.x))\" y=\"\(f(bottom + 19))\" text-anchor=\"middle\">\(Self.tickLabel(x))</text>\n"
        }
        // y ticks: decades on a log axis (every few decades past eight), else five steps
        let yTicks: [Double] = logarithmicY
            ? Array(stride(from: r.y.lowerBound, through: r.y.upperBound,
                           by: Swift.max(1, ((r.y.upperBound - r.y.lowerBound) / 8).rounded(.up)))).map { pow(10, $0) }
            : Array(stride(from: r.y.lowerBound, through: r.y.upperBound + 1e-9, by: Self.niceStep(r.y.upperBound - r.y.lowerBound)))
        for y in yTicks {
            let p = position((logarithmicX ? pow(10, r.x.lowerBound) : r.x.lowerBound, y))
            out += "<line x1=\"\(f(left - 5))\" y1=\"\(f(p.y))\" x2=\"\(f(right))\" y2=\"\(f(p.y))\" stroke=\"#ddd\"/>"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(p.y + 4))\" text-anchor=\"end\">\(Self.tickLabel(y))</text>\n"
        }
        out += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(18 \(f((top + bottom) / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (i, s) in series.enumerated() {
            let color = Self.colors[i % Self.colors.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite && (!logarithmicY || $0.y > 0) }.map(position)
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\""
                + points.map { "\(f($0.x)),\(f($0.y))" }.joined(separator: " ") + "\"/>\n"
            for p in points { out += "<circle cx=\"\(f(p.x))\" cy=\"\(f(p.y))\" r=\"3\" fill=\"\(color)\"/>" }
            let legendY = top + 10 + Double(i) * 20
            out += "\n<line x1=\"\(f(right + 12))\" y1=\"\(f(legendY))\" x2=\"\(f(right + 32))\" y2=\"\(f(legendY))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(f(right + 38))\" y=\"\(f(legendY + 4))\">\(escape(s.name))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// A tick's label: `%g`, except that whole thousands and millions read 10k, 1M.
    static func tickLabel(_ v: Double) -> String {
        if v >= 1e6 && v == v.rounded() && (v / 1e6) == (v / 1e6).rounded() { return String(format: "%gM", v / 1e6) }
        if v >= 1e4 && v == v.rounded() && (v / 1e3) == (v / 1e3).rounded() { return String(format: "%gk", v / 1e3) }
        return String(format: "%g", v)
    }

    /// Writes `<directory>/<name>.svg`; returns its URL.
    @discardableResult
    public func write(to directory: URL, name: String) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("\(name).svg")
        try atomicWrite(Data(svg().utf8), to: url)
        return url
    }
}
