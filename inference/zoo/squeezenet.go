package zoo

import "fmt"

// buildSqueezeNet10 is torchvision's squeezenet1_0 (1,248,424 parameters):
// a 7x7/2 convolution, eight Fire modules between ceil-mode 3x3/2 max
// pools, and a classifier of a 1x1 convolution to 1000 channels, ReLU and
// global average pooling (its Dropout vanishes in eval mode), flattened.
func buildSqueezeNet10(b *builder, x string) string {
	x = b.conv(b.scope("/features/features.0"), "features.0", x, convSpec{out: 96, kernel: 7, stride: 2, pad: 0, groups: 1, gain: gainReLU})
	x = b.relu(b.scope("/features/features.1"), x)
	// Module index -> Fire (squeeze, expand1x1, expand3x3) channels, or a
	// max pool when the channels are zero.
	features := [][3]int{
		2: {}, 3: {16, 64, 64}, 4: {16, 64, 64}, 5: {32, 128, 128},
		6: {}, 7: {32, 128, 128}, 8: {48, 192, 192}, 9: {48, 192, 192}, 10: {64, 256, 256},
		11: {}, 12: {64, 256, 256},
	}
	for i := 2; i < len(features); i++ {
		path := fmt.Sprintf("/features/features.%d", i)
		f := features[i]
		if f[0] == 0 {
			x = b.maxPool(b.scope(path), x, 3, 2, 0, true)
			continue
		}
		x = fire(b, path, fmt.Sprintf("features.%d", i), x, f[0], f[1], f[2])
	}
	// classifier.0 is Dropout.
	x = b.conv(b.scope("/classifier/classifier.1"), "classifier.1", x, convSpec{out: 1000, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gainReLU})
	x = b.relu(b.scope("/classifier/classifier.2"), x)
	x = b.adaptiveAvgPool(b.scope("/classifier/classifier.3"), x, 1)
	return b.flatten("", x)
}

// fire is torchvision's Fire module at path with parameters under param: a
// 1x1 squeeze and ReLU, then 1x1 and 3x3 expansions with ReLU, concatenated.
func fire(b *builder, path, param, x string, squeeze, e1, e3 int) string {
	s := b.conv(b.scope(path+"/squeeze"), param+".squeeze", x, convSpec{out: squeeze, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gainReLU})
	s = b.relu(b.scope(path+"/squeeze_activation"), s)
	a := b.conv(b.scope(path+"/expand1x1"), param+".expand1x1", s, convSpec{out: e1, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gainReLU})
	a = b.relu(b.scope(path+"/expand1x1_activation"), a)
	c := b.conv(b.scope(path+"/expand3x3"), param+".expand3x3", s, convSpec{out: e3, kernel: 3, stride: 1, pad: 1, groups: 1, gain: gainReLU})
	c = b.relu(b.scope(path+"/expand3x3_activation"), c)
	return b.concat(b.scope(path), a, c)
}
