# dxgw - Direct <-> XDR gateway. Plain GNU make + pkg-config.
#
#   make deps     install the Debian packages the build and tests need
#   make          build build/dxgw
#   make test     unit + integration tests, then the unit tests again
#                 under ASan/UBSan; ends with "N passed, N failed"
#   make demo     build, generate a demo config/PKI/store, run dxgw serve
#   make bench    throughput/latency/RSS benchmark (see bench/)
#   make lint     clang-format check, banned functions, symbol prefixes
#   SANITIZE=1    build everything with ASan/UBSan into build/san

PKGS     := gsoapssl libxml-2.0 libxslt libzip libdeflate openssl sqlite3 uuid gmime-3.0
B        := build
ifeq ($(SANITIZE),1)
B        := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
endif
GEN      := build/gen

CC       ?= cc
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BASEFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -g -O2 -pthread \
             -fno-common $(SANFLAGS)
WARN     := -Wall -Wextra -Wpedantic -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Werror
HARDEN   := -fstack-protector-strong -fPIE
ifneq ($(SANITIZE),1)
HARDEN   += -D_FORTIFY_SOURCE=2
endif
CFLAGS   := $(BASEFLAGS) $(WARN) $(HARDEN) -MMD -MP
GENFLAGS := $(BASEFLAGS) -w -fPIE
INCS     = -Igateway -I$(GEN) $(PKG_CFLAGS)
LDFLAGS  := -pie -Wl,-z,relro,-z,now -pthread $(SANFLAGS)
LIBS      = $(PKG_LIBS) -lresolv -lm

SRC      := $(filter-out gateway/main.c,$(wildcard gateway/*.c))
OBJ      := $(patsubst gateway/%.c,$(B)/obj/%.o,$(SRC))
GENSRC   := $(GEN)/soapC.c $(GEN)/soapServer.c $(GEN)/soapClient.c
# The wsaapi plugin is deliberately not linked (GSOAP.md 7.5): reply
# headers are built by xdrpnr.c, so no request can make dxgw connect out.
GENOBJ   := $(B)/gen/soapC.o $(B)/gen/soapServer.o $(B)/gen/soapClient.o
LIB      := $(B)/libdxgw.a
UNITSRC  := tests/harness.c $(wildcard tests/unit/*.c) tests/support/nistconv.c
INTSRC   := tests/harness.c $(wildcard tests/integration/*.c) \
            $(wildcard tests/support/*.c)

.DELETE_ON_ERROR:
.PHONY: all deps test check unit integ demo bench lint certs clean

all: $(B)/dxgw

deps:
	@sh scripts/deps.sh

# --- generated gSOAP code (never edited, never committed) ---------------
$(GEN)/soapC.c $(GEN)/soapServer.c $(GEN)/soapClient.c $(GEN)/soapH.h: wsdl/dxgw.h
	@mkdir -p $(GEN)
	soapcpp2 -c -a -x -L -d $(GEN) wsdl/dxgw.h >$(GEN)/soapcpp2.log 2>&1 \
	    || { cat $(GEN)/soapcpp2.log; exit 1; }

$(B)/gen/%.o: $(GEN)/%.c $(GEN)/soapH.h
	@mkdir -p $(@D)
	$(CC) $(GENFLAGS) $(INCS) -c -o $@ $<

# --- our code -------------------------------------------------------------
# The default cda_schema_dir (C-CDA validation): the corpus's schema tree
# when it is next to the repository, so "dxgw validate" works in a fresh
# clone. The schemas carry no licence: they are read there, never copied.
CDA_SCHEMA_DIR ?= $(if $(wildcard ../shared/corpus/schema/cda-r2-sdtc),$(abspath ../shared/corpus/schema))
$(B)/obj/config.o: CFLAGS += -DGW_CDA_SCHEMA_DIR='"$(CDA_SCHEMA_DIR)"'

$(B)/obj/%.o: gateway/%.c $(GEN)/soapH.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCS) -c -o $@ $<

$(B)/tobj/%.o: tests/%.c $(GEN)/soapH.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INCS) -Itests -Itests/support -c -o $@ $<

# The stylesheets under xslt/ are compiled into the binary (xform.h).
XSL      := $(sort $(wildcard xslt/*.xsl))
$(GEN)/xslt_embed.c: $(XSL) scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh $@ $(XSL)

$(B)/gen/xslt_embed.o: $(GEN)/xslt_embed.c gateway/xform.h
	@mkdir -p $(@D)
	$(CC) $(GENFLAGS) $(INCS) -c -o $@ $<

$(LIB): $(OBJ) $(B)/gen/xslt_embed.o
	@rm -f $@
	ar rcs $@ $^

# The library and the generated code call each other: link them as a group.
LINK = $(CC) $(LDFLAGS) -o $@ $(filter-out $(GENOBJ),$(filter %.o,$^)) -Wl,-u,namespaces -Wl,--start-group $(LIB) \
       $(GENOBJ) -Wl,--end-group $(LIBS)

$(B)/dxgw: $(B)/obj/main.o $(LIB) $(GENOBJ)
	$(LINK)

$(B)/unit: $(patsubst tests/%.c,$(B)/tobj/%.o,$(UNITSRC)) $(LIB) $(GENOBJ)
	$(LINK)

$(B)/integ: $(patsubst tests/%.c,$(B)/tobj/%.o,$(INTSRC)) $(LIB) $(GENOBJ)
	$(LINK)

# --- benchmark programs ----------------------------------------------------
$(B)/bench/loadgen: $(B)/bobj/loadgen.o $(LIB) $(GENOBJ)
	@mkdir -p $(@D)
	$(LINK)

$(B)/bench/outbench: $(B)/bobj/outbench.o $(B)/bobj/benchutil.o $(LIB) $(GENOBJ)
	@mkdir -p $(@D)
	$(LINK)

$(B)/bench/inbench: $(B)/bobj/inbench.o $(B)/bobj/benchutil.o $(LIB) $(GENOBJ)
	@mkdir -p $(@D)
	$(LINK)

$(B)/bench/trackbench: $(B)/bobj/trackbench.o $(B)/bobj/benchutil.o $(LIB) $(GENOBJ)
	@mkdir -p $(@D)
	$(LINK)

$(B)/bench/cdabench: $(B)/bobj/cdabench.o $(B)/bobj/benchutil.o $(LIB) $(GENOBJ)
	@mkdir -p $(@D)
	$(LINK)

$(B)/bench/smtpload: $(B)/bobj/smtpload.o $(B)/bobj/benchutil.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bench/baresrv: $(B)/bobj/baresrv.o $(GENOBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bench/syncfloor: $(B)/bobj/syncfloor.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

$(B)/bobj/%.o: bench/%.c $(GEN)/soapH.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-unused-parameter $(INCS) -c -o $@ $<

# --- tests ----------------------------------------------------------------
test check: deps
	@sh scripts/runtests.sh

unit: $(B)/unit
	$(B)/unit

integ: $(B)/integ $(B)/dxgw
	$(B)/integ

certs:
	@sh certs/mkpki.sh build/pki

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@sh bench/run.sh

lint:
	@sh scripts/lint.sh

clean:
	rm -rf build

-include $(wildcard $(B)/obj/*.d $(B)/tobj/*/*.d $(B)/tobj/*.d $(B)/bobj/*.d)
