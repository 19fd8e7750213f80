import Foundation
import NeuralKit

/*: ### A word's spelling, read by a character BiLSTM

 The taggers see a word through its vector E[w], its capitalization and its first and
 last three letters. A word never seen in training has only the last two, and a test
 set is full of such names. Lample et al. (2016) let a small bidirectional LSTM read
 each word letter by letter and take its two final states as the word's spelling vector:

 $$
 c(w) = \big[\overrightarrow{\mathrm{LSTM}}_{char}(w_1 \dots w_n)^{(n)};\; \overleftarrow{\mathrm{LSTM}}_{char}(w_n \dots w_1)^{(1)}\big]
 $$

 It is learned with the tagger, so it can pick up any pattern of letters that helps
 (-ville, Mc-, a hyphen, digits), not just the three-letter ends. The chapter trains this
 fourth tagger only with `--tagger-characters N`: beside the affix features the taggers
 already have, it added little on CoNLL-2003 for almost twice the training time.
*/

/// A character BiLSTM over each word; a word's row is [→h after its last character;
/// ←h after its first]. Sizes: characters of `embeddingSize`, H = `hiddenSize` per
/// direction, so 2H per word.
struct CharacterEncoder<Scalar: TensorScalar>: Layer {
    let characters: Embedding<Scalar>
    let forward: LSTMCell<Scalar>
    let backward: LSTMCell<Scalar>

    init(alphabetSize: Int, embeddingSize: Int, hiddenSize: Int, name: String, using generator: inout SeededGenerator) {
        characters = Embedding(table: Parameter("\(name).E_char", .uniform([alphabetSize, embeddingSize], bound: 0.1, using: &generator)))
        forward = LSTMCell(inputSize: embeddingSize, hiddenSize: hiddenSize, name: "\(name).char_fwd", using: &generator)
        backward = LSTMCell(inputSize: embeddingSize, hiddenSize: hiddenSize, name: "\(name).char_bwd", using: &generator)
    }

    var parameters: [Parameter<Scalar>] { characters.parameters + forward.parameters + backward.parameters }
    var outputSize: Int { 2 * forward.hiddenSize }

    /// The spelling vectors of `words` (each a list of character ids, none empty), one row
    /// per word in their order: (words.count × 2H). Words of one length run as one batch.
    func callAsFunction(_ words: [[Int]], on tape: Tape<Scalar>) -> Variable<Scalar> {
        precondition(words.allSatisfy { !$0.isEmpty }, "CharacterEncoder: an empty word")
        let byLength = Dictionary(grouping: words.indices) { words[$0].count }.sorted { $0.key < $1.key }
        var parts: [Variable<Scalar>] = [], order: [Int] = []
        for (length, members) in byLength {
            let ids = (0..<length).flatMap { t in members.map { words[$0][t] } }  // time-major
            let x = characters(ids, on: tape, label: "E_char[c]")
            let right = forward.unroll(x, steps: length).last!.hidden
            let left = backward.unroll(x, steps: length, reversed: true).first!.hidden
            parts.append(concatenate(columns: [right, left]))
            order += members
        }
        // Row k of the stacked groups is word order[k]: gather puts them back in place.
        var row = [Int](repeating: 0, count: words.count)
        for (k, word) in order.enumerated() { row[word] = k }
        return gather(parts.count == 1 ? parts[0] : concatenate(rows: parts), rows: row, label: "spelling")
    }
}
