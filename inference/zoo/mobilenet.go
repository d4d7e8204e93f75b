package zoo

import (
	"fmt"
	"strings"
)

// buildMobileNetV2 is torchvision's mobilenet_v2 (width 1.0, 3,504,872
// parameters, 3,487,816 once BatchNorm is folded): a 3x3/2 stem, seventeen
// inverted residual blocks with depthwise 3x3 convolutions and ReLU6 (Clip
// 0..6), a 1x1 convolution to 1280 channels, global average pooling and a
// linear classifier (its Dropout vanishes in eval mode).
func buildMobileNetV2(b *builder, x string) string {
	x = convBNReLU6(b, "/features/features.0", x, convSpec{out: 32, kernel: 3, stride: 2, pad: 1, groups: 1, gain: gainReLU})
	// Expansion t, output channels c, repeats n, first stride s.
	settings := [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}
	in, idx := 32, 1
	for _, s := range settings {
		t, c, n := s[0], s[1], s[2]
		for i := range n {
			stride := 1
			if i == 0 {
				stride = s[3]
			}
			x = invertedResidual(b, fmt.Sprintf("/features/features.%d", idx), x, in, c, stride, t)
			in = c
			idx++
		}
	}
	x = convBNReLU6(b, fmt.Sprintf("/features/features.%d", idx), x, convSpec{out: 1280, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gainReLU})
	// nn.functional.adaptive_avg_pool2d and torch.flatten in forward.
	x = b.adaptiveAvgPool("", x, 1)
	x = b.flatten("", x)
	// classifier.0 is Dropout.
	return b.linear(b.scope("/classifier/classifier.1"), "classifier.1", x, 1000, gainLinear)
}

// invertedResidual is torchvision's InvertedResidual at path: an optional
// 1x1 expansion to t*in channels, a depthwise 3x3 with the stride (both
// Conv2dNormActivation with ReLU6), and a linear 1x1 projection to out
// channels; x is added back when the shape allows.
func invertedResidual(b *builder, path, x string, in, out, stride, t int) string {
	hidden := in * t
	y, k := x, 0
	if t != 1 {
		y = convBNReLU6(b, fmt.Sprintf("%s/conv/conv.%d", path, k), y, convSpec{out: hidden, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gainReLU})
		k++
	}
	y = convBNReLU6(b, fmt.Sprintf("%s/conv/conv.%d", path, k), y, convSpec{out: hidden, kernel: 3, stride: stride, pad: 1, groups: hidden, gain: gainReLU})
	k++
	res := stride == 1 && in == out
	gain := gainReLU
	if res {
		// Keep the ten residual sums from growing the activations.
		gain = gainReLU / 4
	}
	y = b.convBN(b.scope(fmt.Sprintf("%s/conv/conv.%d", path, k)), y, convSpec{out: out, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gain})
	if res {
		return b.add(b.scope(path), x, y)
	}
	return y
}

// convBNReLU6 is torchvision's Conv2dNormActivation with ReLU6 at path: a
// Sequential whose modules 0 (conv), 1 (BatchNorm, folded) and 2 (ReLU6)
// are named after the last element of path ("conv.0" -> "conv.0.0").
func convBNReLU6(b *builder, path, x string, c convSpec) string {
	name := path[strings.LastIndex(path, "/")+1:]
	x = b.convBN(b.scope(path+"/"+name+".0"), x, c)
	return b.relu6(b.scope(path+"/"+name+".2"), x)
}
