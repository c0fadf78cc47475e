package benchkit

import (
	"errors"
	"os"
	"strconv"
	"strings"
)

// MachineCPU is the time all the machine's CPUs have spent since boot, in
// clock ticks, from the first line of /proc/stat: in all, idle (waiting
// for I/O included), and stolen (a virtual machine's CPUs running another
// machine's work while this one had work to run). Between two readings it
// says whether a phase left the machine's CPUs idle or had them taken by
// the host: a rate measured while a fifth of the CPU was stolen does not
// compare with one measured on a quiet host.
type MachineCPU struct {
	Total, Idle, Stolen uint64
}

// ReadMachineCPU reads the machine's CPU times now.
func ReadMachineCPU() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseMachineCPU(line)
}

// parseMachineCPU reads the line "cpu user nice system idle iowait irq
// softirq steal guest guest_nice" (proc(5); older kernels stop earlier).
// guest and guest_nice are counted in user and nice already.
func parseMachineCPU(line string) (MachineCPU, error) {
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return MachineCPU{}, errors.New("/proc/stat: no cpu line")
	}
	var c MachineCPU
	for i, s := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return MachineCPU{}, err
		}
		c.Total += n
		switch i {
		case 3, 4: // idle, iowait
			c.Idle += n
		case 7: // steal
			c.Stolen = n
		}
	}
	return c, nil
}

// Shares is the percentage of the machine's CPU time from c to later that
// was idle and that was stolen.
func (c MachineCPU) Shares(later MachineCPU) (idlePct, stolenPct float64) {
	if later.Total <= c.Total {
		return 0, 0
	}
	total := float64(later.Total - c.Total)
	return 100 * float64(later.Idle-c.Idle) / total, 100 * float64(later.Stolen-c.Stolen) / total
}
