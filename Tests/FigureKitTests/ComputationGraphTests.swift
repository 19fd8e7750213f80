import Foundation
import XCTest
import NeuralKit
@testable import FigureKit

final class ComputationGraphTests: XCTestCase {
    /// h = tanh(x Wᵀ + b), J = Σ h: a tape of seven nodes.
    func smallGraph() -> ComputationGraph {
        let tape = Tape<Double>()
        let x = tape.input(.zeros([2, 3]), name: "x")
        let w = Parameter<Double>("layer.W", .zeros([4, 3]))
        let b = Parameter<Double>("layer.b", .zeros([4]))
        let h = tanh(matmul(x, tape.parameter(w), transposeRight: true) + tape.parameter(b))
        _ = tape.input(.zeros([1]), name: "unused")  // not an ancestor of J: left out
        let loss = sum(h)
        return ComputationGraph(tape: tape, output: loss, title: "small")
    }

    func testNodesFollowTapeOrderAndRoles() {
        let graph = smallGraph()
        XCTAssertEqual(graph.nodes.map(\.id), ["n0", "n1", "n2", "n3", "n4", "n5", "n7"])
        XCTAssertEqual(graph.nodes.map(\.role), [.input, .parameter, .operation, .parameter, .operation, .operation, .output])
        XCTAssertEqual(graph.nodes[1].label, "layer.W\n4 × 3")
        XCTAssertEqual(graph.nodes[6].label, "sum\nscalar")
        XCTAssertEqual(graph.edges.map { "\($0.from)->\($0.to)" }, ["n0->n2", "n1->n2", "n2->n4", "n3->n4", "n4->n5", "n5->n7"])
    }

    func testDOTSnapshot() throws {
        let dot = try GraphvizRenderer.dot(smallGraph())
        // BEGIN SNAPSHOT (Graphviz 2.43; regenerate by pasting the printed text when the style changes)
        let expected = #"""
        digraph G {
        	graph [fontname="DejaVu Sans",
        		label=small,
        		labelloc=t,
        		nodesep=0.3,
        		rankdir=BT,
        		ranksep=0.35
        	];
        	node [fontname="DejaVu Sans",
        		fontsize=11,
        		label="\N",
        		shape=box,
        		style="filled,rounded"
        	];
        	n0	[fillcolor=white,
        		label="x\n2 × 3",
        		style=rounded];
        	n2	[fillcolor=lightgrey,
        		label="matmul(·ᵀ)\n2 × 4"];
        	n0 -> n2;
        	n1	[fillcolor=lightblue,
        		label="layer.W\n4 × 3"];
        	n1 -> n2;
        	n4	[fillcolor=lightgrey,
        		label="add (bias)\n2 × 4"];
        	n2 -> n4;
        	n3	[fillcolor=lightblue,
        		label="layer.b\n4"];
        	n3 -> n4;
        	n5	[fillcolor=lightgrey,
        		label="tanh\n2 × 4"];
        	n4 -> n5;
        	n7	[fillcolor=darkolivegreen1,
        		label="sum\nscalar"];
        	n5 -> n7;
        }
        
        """#
        // END SNAPSHOT
        XCTAssertEqual(dot, expected, "DOT text changed:\n\(dot)")
        // The snapshot was pasted from the program's output; the structure is derived
        // here from the model h = tanh(x Wᵀ + b), J = Σ h: nodes x, W, b, matmul, add,
        // tanh, sum (the unused input left out), and one edge per input of each op:
        // matmul 2, add 2, tanh 1, sum 1.
        let parsed = ParsedDOT(dot)
        XCTAssertEqual(parsed.nodes.count, 7)
        XCTAssertEqual(parsed.edges.count, 2 + 2 + 1 + 1)
        XCTAssertEqual(parsed.names(filled: "lightblue").sorted(), ["layer.W", "layer.b"])
        XCTAssertEqual(parsed.names(filled: "darkolivegreen1"), ["sum"])
        XCTAssertFalse(parsed.nodes.values.contains("unused"))
        XCTAssertEqual(parsed.outDegree(of: "layer.W"), 1)
        XCTAssertEqual(parsed.outDegree(of: "x"), 1)
        XCTAssertEqual(parsed.inDegree(of: "sum"), 1)
    }

    /// An RNN unrolled over T steps, drawn from its tape: one node per parameter (the
    /// same weights at every step), W_h used once per step (T edges out of it), W_e and
    /// b1 once (every step's input projected in one product), T tanh nodes; counted by
    /// hand: 5 nodes for the projection (x, W_e, matmul, b1, add), h(0), W_h, 4 per step
    /// (slice, matmul, add, tanh) and J; edges 4 + 6 per step + 1.
    func testDOTOfAnUnrolledRNNShowsTheSharedWeights() throws {
        for steps in [1, 3, 5] {
            var g = SeededGenerator(seed: 1)
            let cell = RNNCell<Double>(inputSize: 3, hiddenSize: 4, name: "rnn", using: &g)
            let tape = Tape<Double>()
            let states = cell.unroll(tape.input(.uniform([steps * 2, 3], bound: 1, using: &g), name: "x"), steps: steps)
            let graph = ComputationGraph(tape: tape, output: sum(states.last!.hidden), title: "rnn")
            let parsed = ParsedDOT(try GraphvizRenderer.dot(graph))
            let label = "T = \(steps)"
            XCTAssertEqual(parsed.names(filled: "lightblue").sorted(), ["rnn.W_e", "rnn.W_h", "rnn.b1"], label)
            XCTAssertEqual(parsed.outDegree(of: "rnn.W_h"), steps, label)
            XCTAssertEqual(parsed.outDegree(of: "rnn.W_e"), 1, label)
            XCTAssertEqual(parsed.outDegree(of: "rnn.b1"), 1, label)
            XCTAssertEqual(parsed.nodes.values.filter { $0 == "tanh" }.count, steps, label)
            let sliceNodes = steps > 1 ? steps : 0  // one step uses the projection whole
            XCTAssertEqual(parsed.nodes.count, 5 + 2 + 3 * steps + sliceNodes + 1, label)
            XCTAssertEqual(parsed.edges.count, 4 + 5 * steps + sliceNodes + 1, label)
        }
    }

    func testRenderingIsDeterministicAndMakesSVGAndPNG() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("figurekit-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try GraphvizRenderer.render(smallGraph(), to: directory, name: "a")
        let second = try GraphvizRenderer.render(smallGraph(), to: directory, name: "b")
        for (a, b) in zip(first, second) {
            let da = try Data(contentsOf: a), db = try Data(contentsOf: b)
            XCTAssertEqual(da, db, "\(a.lastPathComponent) differs between two renders")
        }
        let svg = try String(contentsOf: first[0], encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"))
        XCTAssertTrue(svg.contains("layer.W"))
        let png = try Data(contentsOf: first[1])
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }
}

/// The nodes (id → first line of the label) and edges of a DOT text, read from the text.
struct ParsedDOT {
    var nodes: [String: String] = [:]
    var fill: [String: String] = [:]
    var edges: [(from: String, to: String)] = []

    init(_ dot: String) {
        let node = #/\t(n\d+)\t\[([^\]]*)\]/#
        for match in dot.matches(of: node) {
            let attributes = String(match.output.2)
            let label = attributes.firstMatch(of: #/label="([^"\\]*)/#).map { String($0.output.1) } ?? ""
            nodes[String(match.output.1)] = label
            fill[String(match.output.1)] = attributes.firstMatch(of: #/fillcolor=(\w+)/#).map { String($0.output.1) }
        }
        for match in dot.matches(of: #/(n\d+) -> (n\d+);/#) { edges.append((String(match.output.1), String(match.output.2))) }
    }

    func names(filled color: String) -> [String] { nodes.filter { fill[$0.key] == color }.map(\.value) }
    func ids(named name: String) -> [String] { nodes.filter { $0.value == name }.map(\.key) }
    func outDegree(of name: String) -> Int { let ids = Set(ids(named: name)); return edges.filter { ids.contains($0.from) }.count }
    func inDegree(of name: String) -> Int { let ids = Set(ids(named: name)); return edges.filter { ids.contains($0.to) }.count }
}

final class LinePlotTests: XCTestCase {
    /// The plot area spans x 70…470 and y 40…365 (SVG y grows downward): the corners of
    /// the data range land on its corners.
    func testPointsLandWhereTheAxesSay() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: [.init("a", [(1, 1), (2, 3), (3, 5)])])
        let svg = plot.svg()
        XCTAssertTrue(svg.contains("points=\"70.00,365.00 270.00,202.50 470.00,40.00\""), svg)
        XCTAssertEqual(svg, plot.svg())
    }

    func testLogarithmicAxisSpansWholeDecadesAndDropsInfinities() {
        let plot = LinePlot(title: "t", xLabel: "x", yLabel: "y",
                            series: [.init("a", [(2, 10), (3, 100), (4, .infinity)])], logarithmicY: true)
        let svg = plot.svg()
        // y from 10¹ to 10²: 10 at the bottom edge, 100 at the top; the infinite point is left out
        XCTAssertTrue(svg.contains("points=\"70.00,365.00 470.00,40.00\""), svg)
        XCTAssertTrue(svg.contains(">100<"))
    }
}
