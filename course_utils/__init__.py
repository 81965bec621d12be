"""Helpers of the Bayesian multilevel models course; import the modules you need.

Lower modules first (each imports only modules above it in this list):
``validation``, ``exceptions``, ``derivatives``, ``result_cache``, ``data``,
``model_data``; then ``coin``, ``priors``, ``samplers``, ``simulate``, ``plots``,
``montecarlo`` (and its nbval plugin ``nbval_montecarlo``), ``checks``, ``environment``,
``hierarchical_normal``, ``tutoring_posterior``, ``glmm``; then ``models`` (PyMC),
``studies``; and ``widgets`` last.
"""

__all__: list[str] = []
