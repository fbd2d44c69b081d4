# bench/plot.gp -- bar chart of the benchmark's median requests/s: one group
# per scenario, one bar per server, log scale (itk is 10-100x below the
# others for new connections).  Called by bench/run.sh:
#
#   gnuplot -e "datafile='BENCH_DIR/chart.dat'; outfile='docs/benchmarks.png'" bench/plot.gp
#
# chart.dat (written by bench/report.py): a "#" header line, then
# "scenario" prefork itk fpm peruid, tab-separated; in the row of (b2),
# "mass, prefork's limits", the fourth bar is D2 (peruid with prefork's
# limits) and fpm's is NaN (not run); in the row of (b3), "mass,
# 64 workers", the first is A3 and the fourth D3 (prefork and
# peruid with MaxRequestWorkers 64), itk's and fpm's NaN.

if (!exists("datafile")) datafile = '/var/tmp/peruid-bench/chart.dat'
if (!exists("outfile")) outfile = 'benchmarks.png'

set terminal pngcairo size 1200,560 enhanced font 'DejaVu Sans,11'
set output outfile
set datafile separator "\t"
set datafile missing "NaN"

set title "requests/s (median of the rounds; higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.9
set logscale y 10
set format y "%.0f"
set ylabel "requests/s (log scale)"
set grid ytics lc rgb "#dddddd"
set key top right horizontal
set xtics nomirror scale 0
set ytics nomirror

stats datafile using 0 nooutput
set xrange [-0.6:STATS_records - 0.4]
set yrange [10:300000]

# bar i (0..3) of a cluster of 4 with gap 1 is centred at $0 + (i - 1.5) / 5
lbl(v) = (v == v) ? sprintf("%.0f", v) : ""
plot datafile using 2:xtic(1) title "A prefork" lc rgb "#8c8c8c", \
     ''       using 3 title "B itk"     lc rgb "#d95f02", \
     ''       using 4 title "C fpm"     lc rgb "#7570b3", \
     ''       using 5 title "D peruid"  lc rgb "#1b9e77", \
     ''       using ($0 - 0.3):2:(lbl($2)) with labels rotate left offset 0,0.4 font ",8" notitle, \
     ''       using ($0 - 0.1):3:(lbl($3)) with labels rotate left offset 0,0.4 font ",8" notitle, \
     ''       using ($0 + 0.1):4:(lbl($4)) with labels rotate left offset 0,0.4 font ",8" notitle, \
     ''       using ($0 + 0.3):5:(lbl($5)) with labels rotate left offset 0,0.4 font ",8" notitle
