# Long runs of the hardening checks; `make test` runs short versions of both.
FUZZ_SECONDS ?= 300
SOAK_SECONDS ?= 600

# Every cargo-fuzz target for FUZZ_SECONDS each (fuzz/run.sh installs cargo-fuzz if missing).
fuzz: setup
	bash fuzz/run.sh $(FUZZ_SECONDS)

# The key-rotation soak of tests/hardening/test_soak.py, for SOAK_SECONDS.
soak: build
	JWT_SOAK_SECONDS=$(SOAK_SECONDS) $(PYTEST) -q -s tests/hardening/test_soak.py
