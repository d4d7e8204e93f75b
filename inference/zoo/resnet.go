package zoo

import (
	"fmt"
	"math"
)

// buildResNet18 is torchvision's resnet18: BasicBlocks [2,2,2,2]
// (11,689,512 parameters, 11,684,712 once BatchNorm is folded).
func buildResNet18(b *builder, x string) string {
	return buildResNet(b, x, false, []int{2, 2, 2, 2})
}

// buildResNet50 is torchvision's resnet50: Bottlenecks [3,4,6,3] with the
// stride on the 3x3 convolution (25,557,032 parameters, 25,530,472 once
// BatchNorm is folded).
func buildResNet50(b *builder, x string) string {
	return buildResNet(b, x, true, []int{3, 4, 6, 3})
}

// buildResNet is torchvision's ResNet with every BatchNorm folded into the
// convolution before it: a 7x7/2 stem, a 3x3/2 max pool, four stages of
// residual blocks, global average pooling and a linear classifier.
func buildResNet(b *builder, x string, bottleneck bool, layers []int) string {
	x = b.convBN(b.scope("/conv1"), x, convSpec{out: 64, kernel: 7, stride: 2, pad: 3, groups: 1, gain: gainReLU})
	x = b.relu(b.scope("/relu"), x)
	x = b.maxPool(b.scope("/maxpool"), x, 3, 2, 1, false)
	expansion := 1
	if bottleneck {
		expansion = 4
	}
	// Each block adds its residual branch to its input; the branch's
	// last convolution is scaled down by 1/sqrt(blocks) so that the sum
	// over all blocks keeps activations of order one.
	blocks := 0
	for _, n := range layers {
		blocks += n
	}
	branchGain := gainReLU / math.Sqrt(float64(blocks))
	inplanes := 64
	for li, n := range layers {
		planes := 64 << li
		for bi := range n {
			stride := 1
			if bi == 0 && li > 0 {
				stride = 2
			}
			path := fmt.Sprintf("/layer%d/layer%d.%d", li+1, li+1, bi)
			downsample := bi == 0 && (stride != 1 || inplanes != planes*expansion)
			if bottleneck {
				x = bottleneckBlock(b, path, x, planes, stride, downsample, branchGain)
			} else {
				x = basicBlock(b, path, x, planes, stride, downsample, branchGain)
			}
			inplanes = planes * expansion
		}
	}
	x = b.adaptiveAvgPool(b.scope("/avgpool"), x, 1)
	x = b.flatten("", x)
	return b.linear(b.scope("/fc"), "fc", x, 1000, gainLinear)
}

// basicBlock is torchvision's BasicBlock: two 3x3 convolutions, one ReLU
// module called twice.
func basicBlock(b *builder, path, x string, planes, stride int, downsample bool, branchGain float64) string {
	out := b.convBN(b.scope(path+"/conv1"), x, convSpec{out: planes, kernel: 3, stride: stride, pad: 1, groups: 1, gain: gainReLU})
	out = b.relu(b.scope(path+"/relu"), out)
	out = b.convBN(b.scope(path+"/conv2"), out, convSpec{out: planes, kernel: 3, stride: 1, pad: 1, groups: 1, gain: branchGain})
	return residual(b, path, x, out, planes, stride, downsample)
}

// bottleneckBlock is torchvision's Bottleneck (ResNet v1.5): 1x1, 3x3 with
// the stride, 1x1 to 4*planes, one ReLU module called three times.
func bottleneckBlock(b *builder, path, x string, planes, stride int, downsample bool, branchGain float64) string {
	out := b.convBN(b.scope(path+"/conv1"), x, convSpec{out: planes, kernel: 1, stride: 1, pad: 0, groups: 1, gain: gainReLU})
	out = b.relu(b.scope(path+"/relu"), out)
	out = b.convBN(b.scope(path+"/conv2"), out, convSpec{out: planes, kernel: 3, stride: stride, pad: 1, groups: 1, gain: gainReLU})
	out = b.relu(b.scope(path+"/relu"), out)
	out = b.convBN(b.scope(path+"/conv3"), out, convSpec{out: planes * 4, kernel: 1, stride: 1, pad: 0, groups: 1, gain: branchGain})
	return residual(b, path, x, out, planes*4, stride, downsample)
}

// residual ends a block: the identity or the 1x1 downsample of x is added to
// the branch output and rectified by the block's ReLU module.
func residual(b *builder, path, x, branch string, out, stride int, downsample bool) string {
	identity := x
	if downsample {
		identity = b.convBN(b.scope(path+"/downsample/downsample.0"), x, convSpec{out: out, kernel: 1, stride: stride, pad: 0, groups: 1, gain: gainReLU})
	}
	sum := b.add(b.scope(path), branch, identity)
	return b.relu(b.scope(path+"/relu"), sum)
}
