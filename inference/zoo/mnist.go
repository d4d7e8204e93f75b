package zoo

// buildMNIST is the zoo's small MNIST classifier, the module MNISTNet of
// hack/torch-export.py: two 5x5 convolutions (1->8, 8->16, padding 2) each
// followed by ReLU and a 2x2 max pool, then a 784->10 linear layer.
// 11,274 parameters; input [batch,1,28,28], output [batch,10].
func buildMNIST(b *builder, x string) string {
	x = b.conv(b.scope("/conv1"), "conv1", x, convSpec{out: 8, kernel: 5, stride: 1, pad: 2, groups: 1, gain: gainReLU})
	x = b.relu(b.scope("/relu1"), x)
	x = b.maxPool(b.scope("/pool1"), x, 2, 2, 0, false)
	x = b.conv(b.scope("/conv2"), "conv2", x, convSpec{out: 16, kernel: 5, stride: 1, pad: 2, groups: 1, gain: gainReLU})
	x = b.relu(b.scope("/relu2"), x)
	x = b.maxPool(b.scope("/pool2"), x, 2, 2, 0, false)
	x = b.flatten("", x)
	return b.linear(b.scope("/fc"), "fc", x, 10, gainLinear)
}
