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
