// course_utils.models.beta_binomial: p ~ Beta(1, 1); r ~ Binomial(n, p).
data {
  int<lower=1> n;
  int<lower=0, upper=n> r;
}
parameters {
  real<lower=0, upper=1> p;
}
model {
  p ~ beta(1, 1);
  r ~ binomial(n, p);
}
