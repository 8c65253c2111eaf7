# dist-kv build entry points. Maven does the work; these targets fix the flags.
MVN ?= mvn
MVN_FLAGS ?= -B --no-transfer-progress -Dstyle.color=never
# Test output: Maven's own chatter off (-q would also hide the Surefire summaries we want to see).
TEST_FLAGS ?= $(MVN_FLAGS) -Dorg.slf4j.simpleLogger.log.org.apache.maven.plugins.enforcer=warn

PHASES := 1 2 3 4 5 6

.PHONY: all build test clean run stop verify image bench bench-storage bench-raft $(addprefix test_phase,$(PHASES))

all: build

## build: compile and package every module's jar, no tests
build:
	$(MVN) $(MVN_FLAGS) -q -DskipTests package

## test: every test of every phase
test:
	$(MVN) $(TEST_FLAGS) test

## test_phaseN: only tests tagged phaseN (JUnit 5 @Tag via Surefire groups); a phase without tests passes
$(addprefix test_phase,$(PHASES)): test_phase%:
	$(MVN) $(TEST_FLAGS) test -Dgroups=phase$* -Dsurefire.failIfNoSpecifiedTests=false

## run: build if needed and start the 3-node local cluster (scripts/start-cluster.sh); TLS=1: mutual TLS with
## development certificates in run/tls (scripts/gen-certs.sh), the CLI and Java clients follow conf/client.conf
TLS ?= 0
SERVER_JAR := modules/server/target/distkv-server-0.1.0-SNAPSHOT.jar
CLI_JAR := modules/cli/target/distkv-cli-0.1.0-SNAPSHOT.jar

run:
	@if [ ! -f $(SERVER_JAR) ] || [ ! -f $(CLI_JAR) ] || [ -n "$$(find modules pom.xml -newer $(SERVER_JAR) -not -path '*/target/*' \( -name '*.java' -o -name '*.xml' -o -name '*.conf' \) | head -1)" ]; then \
	  echo "building (sources changed or no jar yet)"; $(MVN) $(MVN_FLAGS) -q -DskipTests package; fi
	TLS=$(TLS) scripts/start-cluster.sh 3

## stop: stop the local cluster
stop:
	scripts/stop-cluster.sh

## verify: 60 s of 16 clients against 3 node processes it starts itself, under every nemesis (kill -9, short and
## long SIGSTOP, network partitions), checked for linearizability, version order and lost writes; exit 1 on a
## violation. ARGS="--seed 7 --time 600s" overrides (scripts/verify --help)
verify:
	scripts/verify --time 60s --nemesis kill,pause,partition --clients 16 --keys 8 $(ARGS)

## image: the node's container image as a Docker archive, without a Docker daemon or registry (scripts/build-image.sh;
## docker load -i / podman load -i modules/server/target/distkv-image.tar)
image:
	$(MVN) $(MVN_FLAGS) -q -DskipTests -pl modules/server -am package
	scripts/build-image.sh

## bench: load generator against the running cluster (make run); ARGS="--driver distkv,etcd --clients 1,64,256"
bench:
	$(MVN) $(MVN_FLAGS) -q -DskipTests -pl modules/bench -am package
	scripts/bench $(ARGS)

## bench-storage: db_bench-style run of dist-kv's LSM vs RocksDB JNI vs iq80 LevelDB (ARGS="--num 100000")
bench-storage:
	$(MVN) $(MVN_FLAGS) -q -DskipTests -pl modules/bench -am package
	scripts/bench-storage $(ARGS)

## bench-raft: 3 replicas over loopback remoting, fsync on; 1 and 16 groups; 1..256 proposers (ARGS="--seconds 5")
bench-raft:
	$(MVN) $(MVN_FLAGS) -q -DskipTests -pl modules/bench -am package
	scripts/bench-raft $(ARGS)

## clean: remove build output
clean:
	$(MVN) $(MVN_FLAGS) -q clean
