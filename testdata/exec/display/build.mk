# hm: the build of the golden run: compiles every .c here with the C
# compiler, then pretends to link and to generate documentation.
SRC = $(wildcard *.c)
all: $(SRC:.c=.o) docs
	@echo 'linking app'
%.o: %.c
	cc -c $<
docs:
	@i=1; while [ $$i -le 24 ]; do echo "generating docs/page$$i.html"; i=$$((i+1)); done
