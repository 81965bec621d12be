// course_utils.models.eight_schools(centered=False): flat prior on (mu, tau > 0),
// theta = mu + tau * eta with eta ~ Normal(0, 1).
data {
  int<lower=1> J;
  vector[J] y;
  vector<lower=0>[J] sigma;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] eta;
}
transformed parameters {
  vector[J] theta = mu + tau * eta;
}
model {
  eta ~ std_normal();
  y ~ normal(theta, sigma);
}
