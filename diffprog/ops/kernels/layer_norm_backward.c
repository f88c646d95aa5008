/* Layer norm's backward in one pass over g = ∂J/∂y and x, float32, rows of length d.

   With x̂ = (x − μ) r (r = 1/√(σ² + ε), per row) and ĝ = γ g:

       ∂J/∂x = r (ĝ − mean_row ĝ − x̂ · mean_row(ĝ x̂))
       ∂J/∂γ = Σ_rows g x̂          ∂J/∂β = Σ_rows g

   The formula is diffprog.ops.norm.normalization_grads'; this kernel only schedules it: each
   thread takes a range of rows, and while a row is in cache it computes the row's two means, its
   ∂J/∂x, and adds g x̂ and g to the thread's own partial sums of ∂J/∂γ, ∂J/∂β, which are added
   up at the end. (Compiled from the Python formula, the column sums are a second pass over g and x.) */
#include <stdint.h>
#include <stdlib.h>
#include <omp.h>

int layer_norm_backward_f32(const float *g, const float *x, const float *gamma, const float *mean,
                            const float *rstd, float *dx, float *dgamma, float *dbeta,
                            int64_t rows, int64_t d, int threads) {
    float *partial = calloc((size_t)threads * 2 * (size_t)d, sizeof(float));
    if (!partial) return 1;
    #pragma omp parallel num_threads(threads)
    {
        float *pg = partial + (size_t)omp_get_thread_num() * 2 * (size_t)d, *pb = pg + d;
        #pragma omp for schedule(static)
        for (int64_t i = 0; i < rows; ++i) {
            const float *gi = g + i * d, *xi = x + i * d;
            float *dxi = dx + i * d;
            const float mu = mean[i], r = rstd[i];
            float sum_gh = 0.0f, sum_gh_xh = 0.0f;
            #pragma omp simd reduction(+ : sum_gh, sum_gh_xh)
            for (int64_t j = 0; j < d; ++j) {
                const float gh = gamma[j] * gi[j], xh = (xi[j] - mu) * r;
                sum_gh += gh;
                sum_gh_xh += gh * xh;
            }
            const float mean_gh = sum_gh / (float)d, mean_gh_xh = sum_gh_xh / (float)d;
            #pragma omp simd
            for (int64_t j = 0; j < d; ++j) {
                const float xh = (xi[j] - mu) * r;
                dxi[j] = r * (gamma[j] * gi[j] - mean_gh - xh * mean_gh_xh);
                pg[j] += gi[j] * xh;
                pb[j] += gi[j];
            }
        }
    }
    for (int64_t j = 0; j < d; ++j) {
        float sg = 0.0f, sb = 0.0f;
        for (int t = 0; t < threads; ++t) {
            sg += partial[(size_t)t * 2 * d + j];
            sb += partial[(size_t)t * 2 * d + d + j];
        }
        dgamma[j] = sg;
        dbeta[j] = sb;
    }
    free(partial);
    return 0;
}
