// course_utils.models.season_pass_interaction: promo * channel with Normal(0, 1) priors on
// all six coefficients (Mail and NoBundle are the baselines; dummies for Park, Email).
data {
  int<lower=1> N;
  vector[N] bundle;
  matrix[N, 2] dummies;
  array[N] int<lower=0> bought;
  array[N] int<lower=1> n;
}
parameters {
  real intercept;
  real promo;
  vector[2] channel;
  vector[2] promo_channel;
}
model {
  intercept ~ normal(0, 1);
  promo ~ normal(0, 1);
  channel ~ normal(0, 1);
  promo_channel ~ normal(0, 1);
  bought ~ binomial_logit(n, intercept + promo * bundle + dummies * channel
                             + bundle .* (dummies * promo_channel));
}
