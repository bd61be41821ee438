from evals.pii.runner import main

main()
