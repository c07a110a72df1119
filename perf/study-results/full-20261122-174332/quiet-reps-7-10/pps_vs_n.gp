set terminal pngcairo size 1200,700 noenhanced font ',10'
set output 'pps_vs_n.png'
set title '64-byte UDP pps vs rule count'
set xlabel 'rules / policies N (0 plotted at 0.5)'
set ylabel 'Mpps at the sink'
set logscale x
set xrange [0.4:*]
set yrange [0:*]
set key outside right top
set grid
plot 'pps.dat' using 1:2:3:4 with yerrorlines lc rgb '#d62728' dt 1 lw 1.5 pt 5 title 'kernel-bridge-iptables', 'pps.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff7f0e' dt 1 lw 1.5 pt 5 title 'kernel-bridge-nftables', 'pps.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' dt 1 lw 1.5 pt 5 title 'kernel-vxlan-iptables', 'pps.dat' using 1:11:12:13 with yerrorlines lc rgb '#1f77b4' dt 1 lw 1.5 pt 5 title 'xdpnet-local', 'pps.dat' using 1:14:15:16 with yerrorlines lc rgb '#17becf' dt 1 lw 1.5 pt 5 title 'xdpnet-local-5tuple', 'pps.dat' using 1:17:18:19 with yerrorlines lc rgb '#2ca02c' dt 1 lw 1.5 pt 5 title 'xdpnet-vxlan', 'pps.dat' using 1:20:21:22 with yerrorlines lc rgb '#9467bd' dt 1 lw 1.5 pt 5 title 'xdpnet-ila', 'pps.dat' using 1:23:24:25 with yerrorlines lc rgb '#7f7f7f' dt 1 lw 1.5 pt 5 title 'kernel-bridge-iptables-nogso', 'pps.dat' using 1:26:27:28 with yerrorlines lc rgb '#bcbd22' dt 1 lw 1.5 pt 5 title 'kernel-vxlan-iptables-gro'
