package zoo

import "fmt"

// buildVGG16 is torchvision's vgg16 (138,357,544 parameters): thirteen 3x3
// convolutions with ReLU in five max-pooled stages, AdaptiveAvgPool2d((7,7))
// (an AveragePool with kernel and stride 1 on the 7x7 map), and three linear
// layers whose Dropouts vanish in eval mode.
func buildVGG16(b *builder, x string) string {
	// torchvision's configuration "D": output channels of the 3x3
	// convolutions, 0 for a 2x2 max pool.
	features := []int{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}
	i := 0
	for _, c := range features {
		if c == 0 {
			x = b.maxPool(b.scope(fmt.Sprintf("/features/features.%d", i)), x, 2, 2, 0, false)
			i++
			continue
		}
		name := fmt.Sprintf("features.%d", i)
		x = b.conv(b.scope("/features/"+name), name, x, convSpec{out: c, kernel: 3, stride: 1, pad: 1, groups: 1, gain: gainReLU})
		x = b.relu(b.scope(fmt.Sprintf("/features/features.%d", i+1)), x)
		i += 2
	}
	x = b.adaptiveAvgPool(b.scope("/avgpool"), x, 7)
	x = b.flatten("", x)
	x = b.linear(b.scope("/classifier/classifier.0"), "classifier.0", x, 4096, gainReLU)
	x = b.relu(b.scope("/classifier/classifier.1"), x)
	// classifier.2 is Dropout.
	x = b.linear(b.scope("/classifier/classifier.3"), "classifier.3", x, 4096, gainReLU)
	x = b.relu(b.scope("/classifier/classifier.4"), x)
	// classifier.5 is Dropout.
	return b.linear(b.scope("/classifier/classifier.6"), "classifier.6", x, 1000, gainLinear)
}
