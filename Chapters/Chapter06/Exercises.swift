/*: ## Exercises

 1. **The bound.** For W_h with largest singular value 0.8 and tanh (σ′ ≤ 1), how large
    can ‖∂J⁽ᵀ⁾/∂h⁽ᵏ⁾‖ be at most, relative to ‖∂J⁽ᵀ⁾/∂h⁽ᵀ⁾‖, after 20 steps? Compare with the rate
    the chapter measures (`geometricRate` in `Gradients.swift`).
 2. **(Coding) Clipping.** Write `clipGradientNorm` (in `Sources/NeuralKit/Optimizers/Optimizers.swift`)
    as Algorithm 1 of the slides: rescale all gradients together when their norm passes the
    threshold (region `ch6-clipping`). `Chapter06Tests.testClippingCapsLargeAndKeepsSmallGradients`,
    which grades it, checks the cap, the direction and that small gradients are left alone.
 3. **Explosion.** Rerun the exploding example with `--explosion-learning-rate 1`. Does it
    still diverge without clipping? What does that say about when clipping matters?
 4. **Depth.** In the residual experiment, what happens to the gradient at the first layer
    when the layer weights are scaled up (`--residual-weight-scale 1.5`)? Explain with the
    Jacobian of h + f(h).
*/
