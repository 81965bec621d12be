// course_utils.models.season_pass_multilevel: (a_c, b_c) ~ Normal(0, diag(s) R diag(s)),
// s_k ~ HalfNormal(1), R ~ LKJ(1); non-centred, (a, b) = diag(s) L z with z ~ Normal(0, 1).
// PyMC's LKJCholeskyCov(n=2, eta=1, sd_dist=HalfNormal(1)) is the same prior.
data {
  int<lower=1> N;
  int<lower=1> C;
  array[N] int<lower=1, upper=C> channel;
  vector[N] bundle;
  array[N] int<lower=0> bought;
  array[N] int<lower=1> n;
}
parameters {
  vector<lower=0>[2] sd_effect;
  cholesky_factor_corr[2] L;
  matrix[2, C] z;
}
transformed parameters {
  matrix[2, C] effects = diag_pre_multiply(sd_effect, L) * z;
  vector[C] a_channel = effects[1]';
  vector[C] b_channel = effects[2]';
}
model {
  sd_effect ~ normal(0, 1);
  L ~ lkj_corr_cholesky(1);
  to_vector(z) ~ std_normal();
  bought ~ binomial_logit(n, a_channel[channel] + b_channel[channel] .* bundle);
}
generated quantities {
  real correlation = L[2, 1];
}
