# vmm/guest/guest.mk: guest-side artifacts (included by vmm/vmm.mk).

VM_AGENT := $(BUILD)/vmm/guest/hull-agent

$(VM_AGENT): vmm/guest/agent.c vmm/guest/agent_exec.c vmm/guest/agent_fs.c vmm/guest/agent_net.c vmm/guest/exec_proto.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -static -o $@ vmm/guest/agent.c vmm/guest/agent_exec.c vmm/guest/agent_fs.c vmm/guest/agent_net.c

vm-agent: $(VM_AGENT)

# Slow (6-20 min on 2 cores): run it niced, e.g. `nice make vm-kernel`.
vm-kernel:
	vmm/guest/build-kernel.sh
