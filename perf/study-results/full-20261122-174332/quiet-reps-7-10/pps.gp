set terminal pngcairo size 1200,600 noenhanced font ',10'
set output 'pps.png'
set title '64-byte UDP, packets per second at the sink (median, min-max)'
set ylabel 'Mpps'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6
set yrange [0:*]
set xtics rotate by -30
set grid y
plot 'pps.dat' using 2:3:4:xtic(1) title 'Mpps'
