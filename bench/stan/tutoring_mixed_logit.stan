// course_utils.models.tutoring_mixed_logit, non-centred: Normal(0, s) coefficients,
// HalfNormal(s_sigma) site SD, u = sigma_site * z with z ~ Normal(0, 1).
data {
  int<lower=1> N;
  int<lower=1> S;
  array[N] int<lower=1, upper=S> site;
  vector[N] method_x;
  array[N] int<lower=0, upper=1> passed;
  real<lower=0> prior_sd;
  real<lower=0> site_sd_prior_sd;
}
parameters {
  real intercept;
  real method;
  real<lower=0> sigma_site;
  vector[S] z;
}
transformed parameters {
  vector[S] u = sigma_site * z;
}
model {
  intercept ~ normal(0, prior_sd);
  method ~ normal(0, prior_sd);
  sigma_site ~ normal(0, site_sd_prior_sd);
  z ~ std_normal();
  passed ~ bernoulli_logit(intercept + method * method_x + u[site]);
}
