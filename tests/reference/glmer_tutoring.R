## Reference numbers from R's lme4 for the mixed logit used in the course.
##
## Run from the repository root:
##   Rscript tests/reference/glmer_tutoring.R > tests/reference/glmer_tutoring.Rout 2>&1
## Optional arguments: [data csv] [output csv]
##   default data:   data/tutoring.csv (falls back to <script dir>/../../data/tutoring.csv)
##   default output: <script dir>/glmer_tutoring.csv
##
## Output:
##   * human-readable summaries on stdout
##   * a machine-readable block of "key,value" lines on stdout between
##     "BEGIN KEY-VALUE" and "END KEY-VALUE", and the same lines in the CSV file
##     (header "key,value").
##
## Key naming: <fit>.<quantity>[.<name>[.<name>]], where "(Intercept)" is written
## "Intercept".  Fits: m1_laplace, m0_laplace, m1_agq25, m0_agq25, m1_default,
## edge_m1_laplace, edge_m0_laplace, edge_m1_agq25, edge_m0_agq25.
## Notes:
##   * <fit>.deviance is lme4's deviance(fit), which for a GLMM is NOT -2*logLik
##     (it is the sum of squared deviance residuals at the conditional modes plus
##     the penalty); <fit>.minus2loglik is -2*logLik(fit).
##   * <fit>.fixed.<b>.se and <fit>.vcov.* use lme4's default vcov(), i.e.
##     use.hessian = TRUE: inverse of half the finite-difference Hessian of the
##     deviance w.r.t. (theta, beta), beta block.  The variants *.se_nohess and
##     vcov_nohess.* are vcov(fit, use.hessian = FALSE), the beta-only inverse of
##     the penalised-IRLS information at the conditional modes (for comparison).
##   * anova_<x>.<row>.<col>: rows m0/m1 of anova(m0, m1); anova_<x>.chisq,
##     anova_<x>.df, anova_<x>.p are the likelihood-ratio test (m1 row).

suppressPackageStartupMessages(library(lme4))

## ---------------------------------------------------------------- paths
args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else "."
data_path <- if (length(args) >= 1) args[1] else "data/tutoring.csv"
if (!file.exists(data_path)) data_path <- file.path(script_dir, "../../data/tutoring.csv")
out_csv <- if (length(args) >= 2) args[2] else file.path(script_dir, "glmer_tutoring.csv")

## ---------------------------------------------------------------- data
tut <- read.csv(data_path)
stopifnot(identical(names(tut), c("site_id", "student_id", "method", "passed")),
          nrow(tut) == 24)
tut$site_id <- factor(tut$site_id)

## second, edge-case data set: a group with all ones (g=1), all zeros (g=2),
## a group of size one (g=3)
edge <- data.frame(
  g = c(1, 1, 1,
        2, 2, 2, 2,
        3,
        4, 4, 4, 4, 4,
        5, 5, 5, 5, 5, 5),
  x = c(0, 0, 1,
        0, 1, 1, 0,
        1,
        0, 0, 1, 1, 1,
        0, 0, 1, 1, 0, 1),
  y = c(1, 1, 1,
        0, 0, 0, 0,
        1,
        1, 0, 1, 0, 1,
        0, 1, 1, 1, 0, 0))
edge$g <- factor(edge$g)

## ---------------------------------------------------------------- control
## tolPwrss: tight inner PIRLS tolerance.  bobyqa (minqa) tolerances: rhoend is the
## final trust-region radius; 1e-10 makes the parameters accurate to well below 1e-7.
tight <- glmerControl(tolPwrss = 1e-12, optimizer = "bobyqa",
                      optCtrl = list(maxfun = 1e5, rhoend = 1e-10))

kv <- character(0)
fmt <- function(x) {
  if (is.logical(x)) return(ifelse(x, "TRUE", "FALSE"))
  if (is.character(x)) return(x)
  ifelse(is.na(x), "NA", sprintf("%.15g", x))
}
add <- function(key, value) {
  kv <<- c(kv, paste0(key, ",", fmt(value)))
  invisible(NULL)
}
clean <- function(nm) gsub("[()]", "", nm)

warnings_of <- list()
fit_args <- list()
fit_glmer <- function(name, ...) {
  fit_args[[name]] <<- list(...)
  w <- character(0)
  fit <- withCallingHandlers(do.call("glmer", list(...)),
                             warning = function(cond) {
                               w <<- c(w, conditionMessage(cond))
                               invokeRestart("muffleWarning")
                             })
  warnings_of[[name]] <<- w
  fit
}

## accuracy check of the optimum: (a) re-optimise the same deviance function of
## (theta, beta) with an independent optimiser (nlminb) started from a perturbed
## point (+0.05 on every parameter) -- dev_refined >= dev_at_fit means lme4's optimum
## is at least as good; (b) size of the Newton step H^-1 g from lme4's derivatives
refine_check <- function(name, fit) {
  dd <- do.call("glmer", c(fit_args[[name]], list(devFunOnly = TRUE)))
  th <- getME(fit, "theta"); be <- fixef(fit)
  p0 <- c(th, be)
  lower <- c(getME(fit, "lower"), rep(-Inf, length(be)))
  f0 <- dd(p0)
  o <- nlminb(p0 + 0.05, dd, lower = lower,
              control = list(eval.max = 1e4, iter.max = 1e4, rel.tol = 1e-15, x.tol = 1e-12))
  ## Newton step from lme4's own finite-difference gradient/Hessian at the optimum
  ## (deviance scale): an estimate of the distance to the exact optimum
  d <- fit@optinfo$derivs
  newton <- if (is.null(d)) NA else max(abs(solve(d$Hessian, d$gradient)))
  c(dev_at_fit = f0, dev_refined = o$objective, max_abs_par_change = max(abs(o$par - p0)),
    max_abs_newton_step = newton)
}

record <- function(name, fit) {
  cat("\n==================== ", name, " ====================\n", sep = "")
  a <- fit_args[[name]]
  print(fit@call)
  ll <- logLik(fit)
  add(paste0(name, ".nAGQ"), fit@devcomp$dims[["nAGQ"]])
  add(paste0(name, ".nobs"), nobs(fit))
  add(paste0(name, ".ngroups"), unname(ngrps(fit)))
  add(paste0(name, ".npar"), attr(ll, "df"))
  add(paste0(name, ".loglik"), as.numeric(ll))
  add(paste0(name, ".minus2loglik"), -2 * as.numeric(ll))
  add(paste0(name, ".deviance"), deviance(fit))
  add(paste0(name, ".AIC"), AIC(fit))
  add(paste0(name, ".BIC"), BIC(fit))
  add(paste0(name, ".theta"), unname(getME(fit, "theta")))
  vc <- as.data.frame(VarCorr(fit))
  add(paste0(name, ".re.variance"), vc$vcov[1])
  add(paste0(name, ".re.sd"), vc$sdcor[1])
  add(paste0(name, ".isSingular"), isSingular(fit, tol = 1e-4))
  cf <- coef(summary(fit))
  V <- as.matrix(vcov(fit))
  Vn <- as.matrix(suppressWarnings(vcov(fit, use.hessian = FALSE)))
  for (b in rownames(cf)) {
    k <- paste0(name, ".fixed.", clean(b))
    add(paste0(k, ".estimate"), cf[b, "Estimate"])
    add(paste0(k, ".se"), cf[b, "Std. Error"])
    add(paste0(k, ".z"), cf[b, "z value"])
    add(paste0(k, ".p"), cf[b, "Pr(>|z|)"])
    add(paste0(k, ".se_nohess"), sqrt(Vn[b, b]))
  }
  C <- cov2cor(V)
  for (i in rownames(V)) for (j in colnames(V)) {
    add(paste0(name, ".vcov.", clean(i), ".", clean(j)), V[i, j])
    add(paste0(name, ".vcov_nohess.", clean(i), ".", clean(j)), Vn[i, j])
    if (i != j) add(paste0(name, ".corr.", clean(i), ".", clean(j)), C[i, j])
  }
  re <- ranef(fit, condVar = TRUE)[[1]]
  pv <- attr(re, "postVar")
  for (lev in rownames(re)) {
    add(paste0(name, ".ranef.", lev), re[lev, 1])
    add(paste0(name, ".ranef_condsd.", lev), sqrt(pv[1, 1, which(rownames(re) == lev)]))
  }
  ## convergence diagnostics
  conv <- fit@optinfo$conv
  msgs <- c(conv$lme4$messages, warnings_of[[name]])
  add(paste0(name, ".optimizer_conv"), conv$opt)
  add(paste0(name, ".feval"), fit@optinfo$feval)
  g <- fit@optinfo$derivs$gradient
  add(paste0(name, ".max_abs_grad"), if (is.null(g)) NA else max(abs(g)))
  rc <- refine_check(name, fit)
  add(paste0(name, ".check.dev_at_fit"), rc[["dev_at_fit"]])
  add(paste0(name, ".check.dev_refined"), rc[["dev_refined"]])
  add(paste0(name, ".check.max_abs_par_change"), rc[["max_abs_par_change"]])
  add(paste0(name, ".check.max_abs_newton_step"), rc[["max_abs_newton_step"]])
  add(paste0(name, ".n_warnings"), length(msgs))
  cat("optimizer:", fit@optinfo$optimizer, " conv:", conv$opt, " feval:", fit@optinfo$feval, "\n")
  cat("warnings/messages:", if (length(msgs)) paste(msgs, collapse = " | ") else "none", "\n")
  cat("accuracy check (nlminb from perturbed start; Newton step):\n"); print(rc, digits = 15)
  cat("logLik:\n"); print(ll, digits = 15)
  cat("-2*logLik:", fmt(-2 * as.numeric(ll)), "  deviance(fit):", fmt(deviance(fit)), "\n")
  cat("VarCorr:\n"); print(vc, digits = 15)
  cat("coef(summary):\n"); print(cf, digits = 15)
  cat("vcov (use.hessian=TRUE, default):\n"); print(V, digits = 15)
  cat("vcov (use.hessian=FALSE):\n"); print(Vn, digits = 15)
  cat("isSingular:", isSingular(fit, tol = 1e-4), "\n")
}

record_anova <- function(name, m0, m1) {
  cat("\n==================== ", name, ": anova(m0, m1) ====================\n", sep = "")
  a <- anova(m0, m1)
  print(a, digits = 15)
  rows <- c("m0", "m1")
  cols <- c(npar = "npar", AIC = "AIC", BIC = "BIC", logLik = "logLik",
            deviance = "deviance", Chisq = "Chisq", Df = "Df", p = "Pr(>Chisq)")
  for (r in 1:2) for (cn in names(cols))
    add(paste0(name, ".", rows[r], ".", cn), a[r, cols[[cn]]])
  add(paste0(name, ".chisq"), a[2, "Chisq"])
  add(paste0(name, ".df"), a[2, "Df"])
  add(paste0(name, ".p"), a[2, "Pr(>Chisq)"])
}

## ---------------------------------------------------------------- versions
add("R.version", paste(R.version$major, R.version$minor, sep = "."))
add("lme4.version", as.character(packageVersion("lme4")))
add("Matrix.version", as.character(packageVersion("Matrix")))
add("minqa.version", as.character(packageVersion("minqa")))

## ---------------------------------------------------------------- tutoring
options(digits = 12)
fits <- list()
fits$m1_laplace <- fit_glmer("m1_laplace", formula = passed ~ method + (1 | site_id), data = quote(tut),
                             family = quote(binomial), nAGQ = 1, control = quote(tight))
fits$m0_laplace <- fit_glmer("m0_laplace", formula = passed ~ 1 + (1 | site_id), data = quote(tut),
                             family = quote(binomial), nAGQ = 1, control = quote(tight))
fits$m1_agq25 <- fit_glmer("m1_agq25", formula = passed ~ method + (1 | site_id), data = quote(tut),
                           family = quote(binomial), nAGQ = 25, control = quote(tight))
fits$m0_agq25 <- fit_glmer("m0_agq25", formula = passed ~ 1 + (1 | site_id), data = quote(tut),
                           family = quote(binomial), nAGQ = 25, control = quote(tight))
## lme4's plain default: nAGQ = 1, optimizer c("bobyqa", "Nelder_Mead"), tolPwrss = 1e-7
fits$m1_default <- fit_glmer("m1_default", formula = passed ~ method + (1 | site_id), data = quote(tut),
                             family = quote(binomial))
for (nm in names(fits)) record(nm, fits[[nm]])
record_anova("anova_laplace", fits$m0_laplace, fits$m1_laplace)
record_anova("anova_agq25", fits$m0_agq25, fits$m1_agq25)

cat("\n==================== summary(m1_laplace) ====================\n")
print(summary(fits$m1_laplace))
cat("\n==================== summary(m1_agq25) ====================\n")
print(summary(fits$m1_agq25))
cat("\n==================== summary(m1_default) ====================\n")
print(summary(fits$m1_default))

## ---------------------------------------------------------------- edge data
efits <- list()
efits$edge_m1_laplace <- fit_glmer("edge_m1_laplace", formula = y ~ x + (1 | g), data = quote(edge),
                                   family = quote(binomial), nAGQ = 1, control = quote(tight))
efits$edge_m0_laplace <- fit_glmer("edge_m0_laplace", formula = y ~ 1 + (1 | g), data = quote(edge),
                                   family = quote(binomial), nAGQ = 1, control = quote(tight))
efits$edge_m1_agq25 <- fit_glmer("edge_m1_agq25", formula = y ~ x + (1 | g), data = quote(edge),
                                 family = quote(binomial), nAGQ = 25, control = quote(tight))
efits$edge_m0_agq25 <- fit_glmer("edge_m0_agq25", formula = y ~ 1 + (1 | g), data = quote(edge),
                                 family = quote(binomial), nAGQ = 25, control = quote(tight))
for (nm in names(efits)) record(nm, efits[[nm]])
record_anova("edge_anova_laplace", efits$edge_m0_laplace, efits$edge_m1_laplace)
record_anova("edge_anova_agq25", efits$edge_m0_agq25, efits$edge_m1_agq25)

cat("\n==================== summary(edge_m1_laplace) ====================\n")
print(summary(efits$edge_m1_laplace))
cat("\n==================== summary(edge_m1_agq25) ====================\n")
print(summary(efits$edge_m1_agq25))

## ---------------------------------------------------------------- output
cat("\nBEGIN KEY-VALUE\n")
writeLines(kv)
cat("END KEY-VALUE\n")
writeLines(c("key,value", kv), out_csv)
cat("\nwrote", length(kv), "key,value lines to", out_csv, "\n")

cat("\n==================== sessionInfo ====================\n")
print(sessionInfo())
