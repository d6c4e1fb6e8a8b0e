package audio

import (
	"math"
	"time"
)

// Clip is mono, signed 16-bit PCM at Rate samples per second.
type Clip struct {
	Rate    int
	Samples []int16
}

// Duration is how long the clip plays.
func (c Clip) Duration() time.Duration {
	if c.Rate <= 0 {
		return 0
	}
	return time.Duration(len(c.Samples)) * time.Second / time.Duration(c.Rate)
}

// Silence is a clip of d of silence at rate.
func Silence(rate int, d time.Duration) Clip {
	return Clip{Rate: rate, Samples: make([]int16, int(int64(rate)*int64(d)/int64(time.Second)))}
}

// Concat joins clips of the same rate; clips of another rate are refused by returning
// ok == false, since resampling speech is not this package's business.
func Concat(clips ...Clip) (Clip, bool) {
	if len(clips) == 0 {
		return Clip{}, true
	}
	n := 0
	for _, c := range clips {
		if c.Rate != clips[0].Rate {
			return Clip{}, false
		}
		n += len(c.Samples)
	}
	out := Clip{Rate: clips[0].Rate, Samples: make([]int16, 0, n)}
	for _, c := range clips {
		out.Samples = append(out.Samples, c.Samples...)
	}
	return out, true
}

// RMS is the clip's root-mean-square level, 0 for silence, 32767 for a full-scale square
// wave. Tests use it to tell speech from silence.
func (c Clip) RMS() float64 {
	if len(c.Samples) == 0 {
		return 0
	}
	var sum float64
	for _, s := range c.Samples {
		f := float64(s)
		sum += f * f
	}
	return math.Sqrt(sum / float64(len(c.Samples)))
}

// Scaled returns a copy of the clip with every sample multiplied by gain (0..1).
func (c Clip) Scaled(gain float64) Clip {
	if gain >= 1 {
		return c
	}
	if gain < 0 {
		gain = 0
	}
	out := Clip{Rate: c.Rate, Samples: make([]int16, len(c.Samples))}
	for i, s := range c.Samples {
		out.Samples[i] = int16(float64(s) * gain)
	}
	return out
}
