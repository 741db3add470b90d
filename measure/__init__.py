"""`python -m measure <stack>`: benchmark a deployed stack through the API its apps use (AIPerf, in
.venv-measure) and write build/measure/<stack>/report.md, report.json and plots, beside what preflight
predicted. Sits beside e2e/ above the program: it reads stack outputs and the stack file (docs/measure.md)."""
