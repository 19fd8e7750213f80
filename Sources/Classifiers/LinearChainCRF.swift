import Foundation
import NeuralKit

/// A linear-chain conditional random field over tag sequences (Lafferty et al. 2001), as
/// the output layer of a tagger: Collobert et al. (2011)'s "sentence-level
/// log-likelihood", Lample et al. (2016)'s LSTM-CRF.
///
/// The network gives every word t a score for every tag j, the emission E[t, j]; the CRF
/// adds a learned score A[i, j] for tag j following tag i, and s[j], e[j] for starting and
/// ending a sentence with j. A whole tag sequence y = y₁ … y_T scores
/// ```
/// score(y) = s[y₁] + Σ_t E[t, y_t] + Σ_{t>1} A[y_{t−1}, y_t] + e[y_T]
/// p(y | sentence) = exp score(y) / Z,   Z = Σ_{all K^T sequences y'} exp score(y')
/// ```
/// and the loss of a sentence is −log p(gold) = log Z − score(gold). Z sums over every
/// sequence, but the forward algorithm computes log Z in O(T K²): α₁[j] = s[j] + E[1, j],
/// α_t[j] = E[t, j] + log Σ_i exp(α_{t−1}[i] + A[i, j]), log Z = log Σ_j exp(α_T[j] + e[j]),
/// each log Σ exp taken with its maximum subtracted (stable for any scores). The best
/// sequence comes from the same recursion with max in place of log Σ exp (Viterbi).
///
/// The gradient of log Z is the expected count of each score under p: for E[t, j] the
/// marginal p(y_t = j), for A[i, j] the expected number of i → j transitions. The
/// backward algorithm (β, the same recursion from the end) gives them, so the loss's
/// gradient is "expected minus observed": marginals minus the gold sequence's counts.
///
/// Parameters: `name.A` (K × K), `name.start` (K), `name.end` (K), zero at first.
public struct LinearChainCRF<Scalar: TensorScalar>: Layer {
    public let transitions: Parameter<Scalar>
    public let start: Parameter<Scalar>
    public let end: Parameter<Scalar>

    public init(tags: Int, name: String) {
        transitions = Parameter("\(name).A", .zeros([tags, tags]))
        start = Parameter("\(name).start", .zeros([tags]))
        end = Parameter("\(name).end", .zeros([tags]))
    }

    public var tagCount: Int { start.shape[0] }
    public var parameters: [Parameter<Scalar>] { [transitions, start, end] }

    /// score(y) for one sentence's emissions (T × K), computed term by term.
    public func score(_ emissions: Tensor<Scalar>, tags: [Int]) -> Double {
        let k = tagCount
        var total = Double(start.value.scalars[tags[0]]) + Double(end.value.scalars[tags[tags.count - 1]])
        for (t, tag) in tags.enumerated() {
            total += Double(emissions.scalars[t * k + tag])
            if t > 0 { total += Double(transitions.value.scalars[tags[t - 1] * k + tag]) }
        }
        return total
    }

    /// α (T × K, forward) and β (T × K, backward) in log space, and log Z, in Double.
    func forwardBackward(_ emissions: Tensor<Scalar>) -> (alpha: [Double], beta: [Double], logZ: Double) {
        let k = tagCount, steps = emissions.rows
        let e = emissions.scalars.map(Double.init), a = transitions.value.scalars.map(Double.init)
        let s = start.value.scalars.map(Double.init), f = end.value.scalars.map(Double.init)
        var alpha = [Double](repeating: 0, count: steps * k), beta = alpha
        for j in 0..<k { alpha[j] = s[j] + e[j] }
        for t in 1..<max(steps, 1) {
            for j in 0..<k {
                alpha[t * k + j] = e[t * k + j] + logSumExp((0..<k).map { alpha[(t - 1) * k + $0] + a[$0 * k + j] })
            }
        }
        for i in 0..<k { beta[(steps - 1) * k + i] = f[i] }
        for t in stride(from: steps - 2, through: 0, by: -1) {
            for i in 0..<k {
                beta[t * k + i] = logSumExp((0..<k).map { a[i * k + $0] + e[(t + 1) * k + $0] + beta[(t + 1) * k + $0] })
            }
        }
        let logZ = logSumExp((0..<k).map { alpha[(steps - 1) * k + $0] + f[$0] })
        return (alpha, beta, logZ)
    }

    /// log Z for one sentence's emissions (T × K): the forward algorithm.
    public func logPartition(_ emissions: Tensor<Scalar>) -> Double { forwardBackward(emissions).logZ }

    /// −log p(tags | sentence) = log Z − score(tags), for emissions (T × K) on a tape: the
    /// gradient flows into the emissions (to the network below) and into A, s and e.
    public func negativeLogLikelihood(_ emissions: Variable<Scalar>, tags: [Int]) -> Variable<Scalar> {
        let ev = emissions.value, k = tagCount, steps = ev.rows
        precondition(ev.rank == 2 && ev.columns == k && steps == tags.count && steps > 0,
                     "LinearChainCRF: emissions of shape \(ev.shape) for \(tags.count) tags of \(k) kinds")
        precondition(tags.allSatisfy { $0 >= 0 && $0 < k }, "LinearChainCRF: a tag outside 0..<\(k)")
        let (alpha, beta, logZ) = forwardBackward(ev)
        let loss = logZ - score(ev, tags: tags)
        let tape = emissions.tape
        let a = transitions.value.scalars.map(Double.init), e = ev.scalars.map(Double.init)
        let inputs = [emissions, tape.parameter(transitions), tape.parameter(start), tape.parameter(end)]
        return tape.record("CRF −log p(gold)", inputs: inputs, value: Tensor(Scalar(loss))) { g in
            let scale = Double(g.scalar)
            // Expected counts under p, minus the gold sequence's counts.
            var dE = [Double](repeating: 0, count: steps * k), dA = [Double](repeating: 0, count: k * k)
            var dS = [Double](repeating: 0, count: k), dF = dS
            for t in 0..<steps {
                for j in 0..<k { dE[t * k + j] = Foundation.exp(alpha[t * k + j] + beta[t * k + j] - logZ) }
            }
            for j in 0..<k {
                dS[j] = dE[j]
                dF[j] = dE[(steps - 1) * k + j]
            }
            for t in 1..<max(steps, 1) {
                for i in 0..<k {
                    for j in 0..<k {
                        dA[i * k + j] += Foundation.exp(alpha[(t - 1) * k + i] + a[i * k + j] + e[t * k + j] + beta[t * k + j] - logZ)
                    }
                }
            }
            for (t, tag) in tags.enumerated() {
                dE[t * k + tag] -= 1
                if t > 0 { dA[tags[t - 1] * k + tag] -= 1 }
            }
            dS[tags[0]] -= 1
            dF[tags[steps - 1]] -= 1
            func tensor(_ x: [Double], _ shape: [Int]) -> Tensor<Scalar> { Tensor(shape: shape, scalars: x.map { Scalar(scale * $0) }) }
            return [tensor(dE, [steps, k]), tensor(dA, [k, k]), tensor(dS, [k]), tensor(dF, [k])]
        }
    }

    /// The highest-scoring tag sequence for emissions (T × K) (Viterbi). `allowed(i, j)`
    /// false forbids tag j after tag i (and `allowed(nil, j)` a first tag j): with IOB2's
    /// rule it returns the best well-formed sequence.
    public func viterbi(_ emissions: Tensor<Scalar>, allowed: ((Int?, Int) -> Bool)? = nil) -> [Int] {
        let k = tagCount, steps = emissions.rows
        precondition(steps > 0 && emissions.columns == k, "LinearChainCRF: emissions of shape \(emissions.shape)")
        let e = emissions.scalars.map(Double.init), a = transitions.value.scalars.map(Double.init)
        let s = start.value.scalars.map(Double.init), f = end.value.scalars.map(Double.init)
        var best = [Double](repeating: 0, count: steps * k), from = [Int](repeating: 0, count: steps * k)
        for j in 0..<k { best[j] = allowed?(nil, j) == false ? -.infinity : s[j] + e[j] }
        for t in 1..<steps {
            for j in 0..<k {
                var top = -Double.infinity, arg = 0
                for i in 0..<k where allowed?(i, j) != false {
                    let candidate = best[(t - 1) * k + i] + a[i * k + j]
                    if candidate > top { (top, arg) = (candidate, i) }
                }
                best[t * k + j] = top + e[t * k + j]
                from[t * k + j] = arg
            }
        }
        var last = 0
        for j in 1..<k where best[(steps - 1) * k + j] + f[j] > best[(steps - 1) * k + last] + f[last] { last = j }
        var path = [last]
        for t in stride(from: steps - 1, to: 0, by: -1) { path.append(from[t * k + path.last!]) }
        return path.reversed()
    }
}

/// log Σ exp(x_i), with the maximum subtracted first (−∞ for an empty or all −∞ list).
func logSumExp(_ x: [Double]) -> Double {
    guard let top = x.max(), top > -.infinity else { return -.infinity }
    return top + Foundation.log(x.reduce(0) { $0 + Foundation.exp($1 - top) })
}
