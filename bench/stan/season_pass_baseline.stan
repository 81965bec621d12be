// course_utils.models.season_pass_baseline: logit p = intercept + promo * bundle,
// Normal(0, 1) priors.
data {
  int<lower=1> N;
  vector[N] bundle;
  array[N] int<lower=0> bought;
  array[N] int<lower=1> n;
}
parameters {
  real intercept;
  real promo;
}
model {
  intercept ~ normal(0, 1);
  promo ~ normal(0, 1);
  bought ~ binomial_logit(n, intercept + promo * bundle);
}
