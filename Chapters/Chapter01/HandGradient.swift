import Foundation

/*: ## The gradient of the score, by hand

 The tape computes every gradient for us, but the chain rule behind it fits on one line
 for the window score. With z = Wx + b, h = f(z) and s = uᵀh, write δ = u ⊙ f′(z) (the
 gradient of s with respect to z); then

 $$
 \begin{aligned}
 \frac{\partial s}{\partial u} &= h, &
 \frac{\partial s}{\partial b} &= \delta, &
 \frac{\partial s}{\partial W} &= \delta\, x^\top, &
 \frac{\partial s}{\partial x} &= W^\top \delta,
 \end{aligned}
 $$

 with f = tanh, f′(z) = 1 − tanh²(z). Below, the same two functions a student writes:
 the score of one window, and these four gradients, on plain arrays (W is H rows of 5d).
 The chapter compares them with what the tape computes.
*/

/// s = uᵀ tanh(Wx + b) for one window vector x.
func windowScore(x: [Double], W: [[Double]], b: [Double], u: [Double]) -> Double {
    // BEGIN SOLUTION ch1-window-score
    var s = 0.0
    for j in W.indices {
        var z = b[j]
        for k in x.indices { z += W[j][k] * x[k] }
        s += u[j] * tanh(z)
    }
    return s
    // END SOLUTION
}

/// ∂s/∂u, ∂s/∂b, ∂s/∂W and ∂s/∂x of the window score, by the formulas above.
struct ScoreGradients {
    var u: [Double]
    var b: [Double]
    var W: [[Double]]
    var x: [Double]
}

func windowScoreGradients(x: [Double], W: [[Double]], b: [Double], u: [Double]) -> ScoreGradients {
    // BEGIN SOLUTION ch1-window-gradient
    var gradients = ScoreGradients(u: [], b: [], W: [], x: [Double](repeating: 0, count: x.count))
    for j in W.indices {
        var z = b[j]
        for k in x.indices { z += W[j][k] * x[k] }
        let h = tanh(z)
        let delta = u[j] * (1 - h * h)  // δ_j = u_j f′(z_j)
        gradients.u.append(h)
        gradients.b.append(delta)
        gradients.W.append(x.map { delta * $0 })
        for k in x.indices { gradients.x[k] += W[j][k] * delta }
    }
    return gradients
    // END SOLUTION
}
