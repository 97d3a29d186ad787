"""Pure customer-value computations (numpy/scipy, no Django).

Modules: summary (orders -> x, t_x, T, spend), bgnbd, gamma_gamma, clv, rfm, pareto,
tiers, simulate, metrics; every failure is a :class:`errors.FitError` with a stable code.
"""
