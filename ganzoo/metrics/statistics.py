"""The math of the GAN metrics, on feature arrays (numpy, float64 where it matters).

- FID: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
  Local Nash Equilibrium": ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^1/2).
- KID: Binkowski et al. 2018, "Demystifying MMD GANs": unbiased MMD^2 with the cubic
  polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over random subsets.
- IS: Salimans et al. 2016, "Improved Techniques for Training GANs":
  exp E_x[KL(p(y|x) || p(y))], mean and std over splits.
- Precision/recall: Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for
  Assessing Generative Models": k-NN hyperspheres around each feature approximate a manifold.
"""

import warnings

import numpy as np
import scipy.linalg
import scipy.special


class FeatureStats:
    """Streaming mean and covariance of feature batches, without holding the features.

    Batches are merged with Chan et al.'s parallel update (count, mean, centred sum of outer
    products, all float64), which avoids the cancellation of ``E[xx^T] - mu mu^T``.
    """

    def __init__(self, dim):
        self.count = 0
        self._mean = np.zeros(dim, np.float64)
        self._m2 = np.zeros((dim, dim), np.float64)

    def update(self, features):
        x = np.asarray(features, np.float64).reshape(-1, self._mean.shape[0])
        n_b = x.shape[0]
        if n_b == 0:
            return
        mean_b = x.mean(axis=0)
        centred = x - mean_b
        delta = mean_b - self._mean
        total = self.count + n_b
        self._m2 += centred.T @ centred + np.outer(delta, delta) * (self.count * n_b / total)
        self._mean += delta * (n_b / total)
        self.count = total

    @property
    def mean(self):
        return self._mean.copy()

    @property
    def covariance(self):
        """Unbiased sample covariance (divides by count - 1), as np.cov."""
        if self.count < 2:
            raise ValueError(f"A covariance needs at least 2 samples, got {self.count}.")
        return self._m2 / (self.count - 1)


def _sqrtm(product, check=True):
    """scipy's square root of ``product``; None if ``check`` and it is not finite or not a root.

    scipy warns on singular inputs (e.g. dead ReLU features), but its root is often exact
    there: the residual, not the warning, decides.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        root = scipy.linalg.sqrtm(product)
    if check and not (
        np.isfinite(root).all()
        and np.linalg.norm(root @ root - product) <= 1e-6 * np.linalg.norm(product)
    ):
        return None
    return root


def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (FID on pool3 features).

    The matrix square root is scipy's; when it is not finite or not accurate (a singular
    product, e.g. fewer samples than dimensions) both covariances get ``eps * I`` added. A
    small imaginary part from round-off is dropped; a large one is an error.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    sigma1 = np.atleast_2d(sigma1).astype(np.float64)
    sigma2 = np.atleast_2d(sigma2).astype(np.float64)
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape:
        raise ValueError(
            f"Shape mismatch: mu {mu1.shape} vs {mu2.shape}, "
            f"sigma {sigma1.shape} vs {sigma2.shape}."
        )
    diff = mu1 - mu2
    covmean = _sqrtm(sigma1 @ sigma2)
    if covmean is None:
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset), check=False)
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            largest = np.max(np.abs(covmean.imag))
            raise ValueError(f"Matrix square root has a large imaginary component {largest:.3g}.")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def kernel_inception_distance(real, fake, num_subsets=100, subset_size=1000, seed=0):
    """Unbiased MMD^2 between feature sets, (mean, std) over ``num_subsets`` random subsets.

    Each subset draws ``min(subset_size, len(real), len(fake))`` rows of each set without
    replacement; the estimate is unbiased, so identical distributions give a mean near 0
    (and it can be slightly negative).
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise ValueError(f"KID needs at least 2 samples per set, got {len(real)} and {len(fake)}.")
    d = real.shape[1]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        k_xx = (x @ x.T / d + 1) ** 3
        k_yy = (y @ y.T / d + 1) ** 3
        k_xy = (x @ y.T / d + 1) ** 3
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        values.append(within - 2 * k_xy.mean())
    return float(np.mean(values)), float(np.std(values))


def inception_score(probs, splits=10):
    """(mean, std) over ``splits`` chunks of exp(mean_x KL(p(y|x) || p(y))).

    ``probs`` are class probabilities [N, classes]; uniform predictions score 1, confident
    predictions spread evenly over C classes score C.
    """
    probs = np.asarray(probs, np.float64)
    if len(probs) < splits:
        raise ValueError(f"Inception score with {splits} splits needs >= {splits} samples.")
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = scipy.special.xlogy(part, part) - scipy.special.xlogy(part, marginal)
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _squared_distances(a, b):
    """Pairwise squared Euclidean distances [len(a), len(b)] as |a|^2 + |b|^2 - 2 a.b, clipped
    at 0. Callers pass centred float64 features: that expansion cancels catastrophically when
    |a|^2 is large next to |a - b|^2 (a common offset in float32)."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * (a @ b.T)
    return np.maximum(sq, 0)


def _knn_radii(features, k, batch_size):
    """Squared distance from each row to its k-th nearest other row."""
    radii = np.empty(len(features), np.float64)
    for start in range(0, len(features), batch_size):
        dist = _squared_distances(features[start : start + batch_size], features)
        # Column k after partitioning: the row itself (distance 0) fills column 0.
        radii[start : start + batch_size] = np.partition(dist, k, axis=1)[:, k]
    return radii


def _coverage(manifold, radii, queries, batch_size):
    """Fraction of ``queries`` inside at least one k-NN hypersphere of ``manifold``."""
    inside = 0
    for start in range(0, len(queries), batch_size):
        dist = _squared_distances(queries[start : start + batch_size], manifold)
        inside += int(np.any(dist <= radii[None, :], axis=1).sum())
    return inside / len(queries)


def precision_recall(real, fake, k=3, batch_size=256):
    """Improved precision and recall (Kynkaanniemi et al. 2019), returned as (precision, recall).

    Precision: fraction of fake features inside the real manifold (union of balls reaching
    each real feature's k-th nearest real neighbour); recall: the same with roles swapped.
    Distances are computed in float64 on features centred at the real mean (distances do not
    change, and a common offset cannot swamp them), ``batch_size`` rows at a time, so memory
    is batch_size x N x 8 bytes.
    """
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    centre = real.mean(axis=0)
    real, fake = real - centre, fake - centre
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"Precision/recall with k={k} needs more than {k} samples per set.")
    real_radii = _knn_radii(real, k, batch_size)
    fake_radii = _knn_radii(fake, k, batch_size)
    precision = _coverage(real, real_radii, fake, batch_size)
    recall = _coverage(fake, fake_radii, real, batch_size)
    return precision, recall
